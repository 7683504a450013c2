using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using ModerationConsole.Demo;
using ModerationConsole.Hosting;

namespace ModerationConsole.Cli;

public static class ServeCommand
{
    public static async Task<int> RunAsync(CliArguments arguments)
    {
        var demo = arguments.TakeFlag("--demo");
        var builder = ConsoleHost.CreateBuilder(arguments.Remaining);
        using var startupLogs = LoggerFactory.Create(logging => logging.AddConsole());
        await using var embedded = await ConsoleHost.ResolveDatabaseAsync(builder, startupLogs.CreateLogger("ModerationConsole"));
        if (demo) builder.Services.AddDemoTraffic();

        await using var app = Program.BuildWebApp(builder);
        await app.StartAsync();

        var urls = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        System.Console.WriteLine();
        System.Console.WriteLine($"Moderation Console is running at {string.Join(", ", urls)}  (Ctrl+C to stop)");
        if (demo) System.Console.WriteLine(DemoAccounts.Banner);
        System.Console.WriteLine();

        await app.WaitForShutdownAsync();
        return 0;
    }
}
