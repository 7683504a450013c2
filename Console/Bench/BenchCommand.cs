using ModerationConsole.Cli;
using ModerationConsole.Data;
using ModerationConsole.Hosting;
using Npgsql;

namespace ModerationConsole.Bench;

/// <summary>
/// <c>bench NAME [options]</c>, <c>bench all</c>, <c>bench list</c>. Each benchmark runs on its own scratch database
/// created in the console's PostgreSQL (the configured one, or the embedded cluster) and dropped afterwards, so a bench
/// never touches real data. Exit code 0 when every goal was met, 1 when one was not.
/// </summary>
public static class BenchCommand
{
    /// <summary>Every benchmark; one line each.</summary>
    public static IReadOnlyList<IBenchmark> All { get; } =
    [
        new ExportBenchmark(),
        new ClaimsBenchmark(),
        new IngestBenchmark(),
        new CircuitMemoryBenchmark(),
        new IngestMemoryBenchmark(),
        new ScoreBenchmark(),
        new BankBenchmark(),
        new LadderBenchmark(),
        new ChecksBenchmark(),
        new ReviewBenchmark(),
        new HeadsBenchmark(),
        new BackbonesBenchmark(),
    ];

    public static async Task<int> RunAsync(CliArguments arguments)
    {
        var name = arguments.TakeWord() ?? throw new UsageException($"bench needs a name: {string.Join(", ", All.Select(b => b.Name))}, all or list");
        if (name == "list")
        {
            foreach (var benchmark in All) System.Console.WriteLine($"{benchmark.Name,-10} {benchmark.Summary}");
            return 0;
        }
        var selected = name == "all"
            ? All
            : All.Where(b => b.Name == name).ToList() is { Count: 1 } one ? one : throw new UsageException($"no benchmark called '{name}'");

        var builder = ConsoleHost.CreateBuilder(arguments.Remaining);
        using var logs = LoggerFactory.Create(logging => logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning));
        await using var embedded = await ConsoleHost.ResolveDatabaseAsync(builder, logs.CreateLogger("ModerationConsole"));
        // Scratch databases are created, migrated and dropped as the owner; the console in them runs as its own role.
        var server = DataRegistration.MigrationsConnectionString(builder.Configuration);
        var consoleRole = builder.Configuration.GetConnectionString(DataRegistration.ConnectionStringName)!;

        var report = new BenchReport(System.Console.Out);
        using var cancel = new CancellationTokenSource();
        System.Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        foreach (var benchmark in selected)
        {
            report.Heading($"bench {benchmark.Name}: {benchmark.Summary}");
            var scratch = await CreateScratchDatabaseAsync(server, benchmark.Name, logs.CreateLogger<BenchRun>(), cancel.Token);
            try
            {
                var consoleConnection = new NpgsqlConnectionStringBuilder(consoleRole) { Database = new NpgsqlConnectionStringBuilder(scratch).Database }.ConnectionString;
                await using var run = new BenchRun(arguments, report, scratch, consoleConnection, arguments.Remaining);
                await benchmark.RunAsync(run, cancel.Token);
            }
            finally
            {
                await DropDatabaseAsync(server, scratch);
            }
        }
        if (report.MissedGoals.Count > 0)
        {
            System.Console.WriteLine($"Goals not met: {string.Join(", ", report.MissedGoals)}");
            return 1;
        }
        return 0;
    }

    private static async Task<string> CreateScratchDatabaseAsync(string server, string benchmark, ILogger logger, CancellationToken ct)
    {
        var database = $"bench_{benchmark}_{Environment.ProcessId}_{DateTime.UtcNow:yyyyMMddHHmmss}";
        await using (var admin = new NpgsqlConnection(server))
        {
            await admin.OpenAsync(ct);
            await using var create = new NpgsqlCommand($"create database \"{database}\"", admin);
            await create.ExecuteNonQueryAsync(ct);
        }
        var scratch = new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;
        await Migrator.MigrateAsync(scratch, logger, ct);
        return scratch;
    }

    private static async Task DropDatabaseAsync(string server, string scratch)
    {
        var database = new NpgsqlConnectionStringBuilder(scratch).Database!;
        // A console stopping in the same process may reconnect (its notification listener) between the forced
        // disconnect and the drop; PostgreSQL then says the database is in use (55006), and a moment later it is not.
        for (var attempt = 1; ; attempt++)
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(server);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"drop database if exists \"{database}\" with (force)", admin);
            try
            {
                await drop.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException inUse) when (inUse.SqlState == PostgresErrorCodes.ObjectInUse && attempt < 10)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }
    }
}
