using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using ModerationConsole.Data;
using ModerationConsole.Hosting;
using Npgsql;

namespace ModerationConsole.Tests.Infrastructure;

/// <summary>
/// The real console (Kestrel, SignalR, PostgreSQL) started in-process on a free loopback port with its own database.
/// Clients talk to it over TCP exactly as producers and browsers do.
/// </summary>
public sealed class TestConsole : IAsyncDisposable
{
    private readonly WebApplication app;

    private TestConsole(WebApplication app, string connectionString, Uri baseAddress)
    {
        this.app = app;
        ConnectionString = connectionString;
        BaseAddress = baseAddress;
    }

    public string ConnectionString { get; }
    public Uri BaseAddress { get; }
    public IServiceProvider Services => app.Services;
    public T Service<T>() where T : notnull => app.Services.GetRequiredService<T>();

    internal static readonly Lazy<string> EmptyModelsDirectory = new(() => Directory.CreateTempSubdirectory("mc-no-models-").FullName);

    public static async Task<TestConsole> StartAsync(PostgresFixture postgres, params string[] settings) =>
        await StartOnAsync(await postgres.CreateDatabaseAsync(), settings);

    /// <summary>A console on an existing database: a second instance, or one restarted after a crash.</summary>
    public static async Task<TestConsole> StartOnAsync(string connectionString, params string[] settings)
    {
        var builder = ConsoleHost.CreateBuilder(
        [
            "--urls", "http://127.0.0.1:0",
            $"--ConnectionStrings:{DataRegistration.ConnectionStringName}={connectionString}",
            $"--ConnectionStrings:{DataRegistration.MigrationsConnectionStringName}={PostgresFixture.AsOwner(connectionString)}",
            "--Logging:LogLevel:Default=Warning",
            // Many consoles run at once in a test run; two job workers each keep the cluster's connections in bounds.
            "--Jobs:WorkerCount=2",
            // No models unless a test brings its own (the repository's models/ may hold the default one), and items
            // scored only when a test asks (re-scoring jobs, or NewItemScoring with an interval).
            $"--Scoring:ModelsDirectory={EmptyModelsDirectory.Value}",
            "--Scoring:NewItemsInterval=00:00:00",
            // Moderators' decisions are sent at once unless a test is about their undo window.
            "--Queue:UndoWindow=00:00:00",
            // Admins and seniors sign in with a password alone unless a test is about the second factor.
            "--Accounts:SecondFactorRequiredFor=",
            // The retention purge runs when a test starts it, not at every start.
            "--Retention:Scheduled=false",
            // Past images are embedded when a test starts the job.
            "--Heads:EmbedPastImages=false",
            .. settings,
        ]);
        var app = Program.BuildWebApp(builder);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestConsole(app, connectionString, new Uri(address));
    }

    /// <summary>A connection as the console's own role.</summary>
    public Task<NpgsqlConnection> OpenConnectionAsync() => OpenAsync(ConnectionString);

    /// <summary>A connection as the schema owner, who can do what the console cannot (switch triggers off, rewrite the log).</summary>
    public Task<NpgsqlConnection> OpenOwnerConnectionAsync() => OpenAsync(PostgresFixture.AsOwner(ConnectionString));

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
