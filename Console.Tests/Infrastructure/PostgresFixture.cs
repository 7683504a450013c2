using Microsoft.Extensions.Logging.Abstractions;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Policy;
using ModerationConsole.Tests.Infrastructure;
using Npgsql;

[assembly: AssemblyFixture(typeof(PostgresFixture))]

namespace ModerationConsole.Tests.Infrastructure;

/// <summary>
/// One real PostgreSQL cluster per test run, started from the machine's binaries in a temporary folder. The schema is
/// migrated once into a template database; each test gets its own database cloned from it, so tests start clean,
/// run in parallel, and never see each other's rows.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private const string TemplateName = "moderation_template";
    private readonly DirectoryInfo dataDirectory = Directory.CreateTempSubdirectory("mc-tests-");
    private EmbeddedPostgres? server;
    private int databaseCounter;

    public EmbeddedPostgres Server => server ?? throw new InvalidOperationException("PostgreSQL has not started.");

    public async ValueTask InitializeAsync()
    {
        DapperSetup.Configure();
        server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions
        {
            DataDirectory = dataDirectory.FullName,
            Port = 0,
            Database = "postgres",
            StopOnDispose = true,
            // A test run starts dozens of consoles at once (in-process and as processes), each with its pool and job workers.
            MaxConnections = 1000,
        }, NullLogger.Instance, CancellationToken.None);

        await ExecuteAsync(Server.ConnectionStringFor("postgres"), $"create database {TemplateName}");
        var template = NoPooling(Server.ConnectionStringFor(TemplateName));
        await Migrator.MigrateAsync(template, NullLogger.Instance);
        await using (var dataSource = NpgsqlDataSource.Create(template))
        await using (var db = new Db(dataSource, NullLogger<Db>.Instance))
        {
            await new PolicyStore(db).EnsureInstalledAsync(new PolicyOptions().ToDocument());
            // Chained here as a running console would have chained it: a clone made minutes later would otherwise
            // start with an entry older than the sealing health check tolerates, until its console's first seal.
            await new AuditChain(db).SealAsync();
        }
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>
    /// A new, empty, migrated database with the default policy; returns the connection string the console uses there:
    /// its application login, which may not rewrite the audit log (<see cref="AsOwner"/> for the schema owner).
    /// </summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"test_{Environment.ProcessId}_{Interlocked.Increment(ref databaseCounter)}";
        await ExecuteAsync(Server.ConnectionStringFor("postgres"), $"create database {name} template {TemplateName}");
        // Every test has its own database, hence its own connection pools; idle connections close within seconds
        // instead of Npgsql's five minutes, so the pools of finished tests do not fill the cluster's connection slots.
        return new NpgsqlConnectionStringBuilder(Server.ApplicationConnectionStringFor(name))
        {
            ConnectionIdleLifetime = 10,
            ConnectionPruningInterval = 5,
        }.ConnectionString;
    }

    /// <summary>The same database as its owner (the cluster's superuser): migrations, and tampering behind the console's back.</summary>
    public static string AsOwner(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Username = EmbeddedPostgres.Superuser }.ConnectionString;

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(NoPooling(connectionString));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    // Cloning a template needs it to have no open sessions, so nothing may keep pooled connections to it.
    private static string NoPooling(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (server is not null) await server.DisposeAsync();
        try { dataDirectory.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
