using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using ModerationConsole.Cli;
using ModerationConsole.Data;
using ModerationConsole.Hosting;
using Npgsql;

namespace ModerationConsole.Bench;

/// <summary>
/// What a benchmark gets: its options, a report, and a scratch database (migrated, dropped afterwards) in the same
/// PostgreSQL the console would use. <see cref="StartConsoleAsync"/> serves the real console on that database on a
/// loopback port, for benchmarks that go through HTTP or SignalR as producers and browsers do.
/// </summary>
public sealed class BenchRun(
    CliArguments arguments, BenchReport report, string connectionString, string consoleConnectionString, string[] hostArgs) : IAsyncDisposable
{
    private WebApplication? console;

    public CliArguments Arguments => arguments;
    public BenchReport Report => report;

    /// <summary>
    /// The scratch database as its owner, already migrated (starting the console also installs the default policy), for
    /// a benchmark's own set-up and measurements; the console started on it runs as its application role.
    /// </summary>
    public string ConnectionString => connectionString;

    public async Task<NpgsqlConnection> OpenConnectionAsync(CancellationToken ct = default)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    /// <summary>
    /// Writes out every dirty page (CHECKPOINT) so that a timed phase starts clean and does not pay for the writes of
    /// the one before it; false when the owner may not (neither a superuser nor in pg_checkpoint), said in the report.
    /// </summary>
    public async Task<bool> CheckpointAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        await using var checkpoint = new NpgsqlCommand("checkpoint", connection);
        try
        {
            await checkpoint.ExecuteNonQueryAsync(ct);
            return true;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            report.Note("(no CHECKPOINT before timing: the database owner may not run one; phases may pay for each other's writes)");
            return false;
        }
    }

    /// <summary>
    /// Starts a timed phase clean: <paramref name="vacuum"/> (a VACUUM statement: what the phases before left for the
    /// vacuum to do is done now, not by autovacuum inside this phase), then <see cref="CheckpointAsync"/>.
    /// </summary>
    public async Task StartPhaseAsync(string vacuum, CancellationToken ct = default)
    {
        await using (var connection = await OpenConnectionAsync(ct))
        await using (var command = new NpgsqlCommand(vacuum, connection) { CommandTimeout = 0 })
            await command.ExecuteNonQueryAsync(ct);
        await CheckpointAsync(ct);
    }

    /// <summary>The console serving the scratch database on a free loopback port; started once, stopped with the run.</summary>
    public Task<(IServiceProvider Services, Uri BaseAddress)> StartConsoleAsync(params string[] settings) => StartConsoleAsync(null, settings);

    /// <summary>The console, with endpoints of the benchmark's own (a baseline inside the same web stack) mapped before it starts.</summary>
    public async Task<(IServiceProvider Services, Uri BaseAddress)> StartConsoleAsync(Action<WebApplication>? map, params string[] settings)
    {
        if (console is null)
        {
            var builder = ConsoleHost.CreateBuilder(
            [
                .. hostArgs,
                "--urls", "http://127.0.0.1:0",
                $"--ConnectionStrings:{DataRegistration.ConnectionStringName}={consoleConnectionString}",
                $"--ConnectionStrings:{DataRegistration.MigrationsConnectionStringName}={connectionString}",
                "--Logging:LogLevel:Default=Warning",
                "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Warning",
                // A benchmark times its own work: no classifier scores arriving items in the background.
                "--Scoring:NewItemsInterval=00:00:00",
                .. settings,
            ]);
            console = Program.BuildWebApp(builder);
            map?.Invoke(console);
            await console.StartAsync();
        }
        var address = console.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (console.Services, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        if (console is null) return;
        await console.StopAsync();
        await console.DisposeAsync();
    }
}
