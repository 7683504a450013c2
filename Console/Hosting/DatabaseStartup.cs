using Microsoft.Extensions.Options;
using ModerationConsole.Data;
using ModerationConsole.Policy;

namespace ModerationConsole.Hosting;

/// <summary>
/// Brings the database up to date before anything else uses it: applies pending migrations and, on a new database,
/// installs the configured default policy. Runs at start of <c>serve</c> (as a hosted service, before the server
/// listens) and as the <c>migrate</c> command.
/// </summary>
public sealed class DatabaseStartup(IConfiguration configuration, PolicyStore policies, IOptions<PolicyOptions> policyOptions, ILogger<DatabaseStartup> logger)
    : IHostedService
{
    public async Task<IReadOnlyList<string>> RunAsync(CancellationToken ct)
    {
        var applied = await Migrator.MigrateAsync(configuration.GetConnectionString(DataRegistration.ConnectionStringName)!, logger, ct);
        await policies.EnsureInstalledAsync(policyOptions.Value.ToDocument(), ct);
        return applied;
    }

    Task IHostedService.StartAsync(CancellationToken cancellationToken) => RunAsync(cancellationToken);

    Task IHostedService.StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
