using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Producers;
using ModerationConsole.Simulate;

namespace ModerationConsole.Demo;

public static class DemoRegistration
{
    public static IServiceCollection AddDemoTraffic(this IServiceCollection services)
    {
        services.AddOptions<DemoOptions>().BindConfiguration(DemoOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(new DemoMode(true));
        services.AddHostedService<DemoTraffic>();
        return services;
    }
}

/// <summary>
/// <c>serve --demo</c>: once the server listens, makes sure the demo accounts exist, gives the demo producer a fresh
/// key, and streams simulated generations through the public ingest hub over loopback, as a real platform would.
/// </summary>
public sealed class DemoTraffic(
    IServer server, IHostApplicationLifetime lifetime, UserStore users, ProducerStore producers,
    IOptions<DemoOptions> options, ILogger<DemoTraffic> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await WaitForStartAsync(stoppingToken)) return;
        try
        {
            await EnsureAccountsAsync(stoppingToken);
            var key = (await producers.RotateKeyAsync(DemoAccounts.ProducerName, Actor.Console, stoppingToken)
                       ?? await producers.CreateAsync(DemoAccounts.ProducerName, Actor.Console, stoppingToken)).ApiKey;
            var url = LoopbackUrl();
            logger.LogInformation("Demo traffic: streaming to {Url} at {Rate} items/s", url, options.Value.ItemsPerSecond);
            await new SimulatedProducer().RunAsync(new SimulationOptions
            {
                Url = url,
                ApiKey = key,
                ItemsPerSecond = options.Value.ItemsPerSecond,
                BatchSize = options.Value.BatchSize,
                Count = 0,
            }, line => logger.LogInformation("Demo traffic: {Line}", line), stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Demo traffic stopped");
        }
    }

    private async Task<bool> WaitForStartAsync(CancellationToken ct)
    {
        var started = new TaskCompletionSource();
        using var _ = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var __ = ct.Register(() => started.TrySetCanceled(ct));
        try { await started.Task; return true; }
        catch (OperationCanceledException) { return false; }
    }

    private async Task EnsureAccountsAsync(CancellationToken ct)
    {
        foreach (var (email, password, role) in DemoAccounts.All)
        {
            try
            {
                await users.CreateAsync(email, password, role, Actor.Console, ct, demo: true);
            }
            catch (ArgumentException ex) when (ex.Message.Contains("already exists", StringComparison.Ordinal))
            {
                // Created by an earlier demo run.
            }
        }
    }

    private string LoopbackUrl()
    {
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                      ?? throw new InvalidOperationException("The server has no address to stream demo traffic to.");
        var uri = new UriBuilder(address);
        if (uri.Host is "0.0.0.0" or "[::]" or "::" or "+" or "*" or "localhost") uri.Host = "127.0.0.1";
        return uri.Uri.ToString();
    }
}
