using System.Text.RegularExpressions;
using Dapper;
using ModerationConsole.Data;
using ModerationConsole.Demo;
using ModerationConsole.Tests.Infrastructure;
using Npgsql;

namespace ModerationConsole.Tests.Cli;

/// <summary><c>serve</c> and <c>simulate</c> run as separate processes, the way the README's commands run them.</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed partial class ServeAndSimulateTests(PostgresFixture postgres)
{
    [Theory]
    [InlineData("json")]
    [InlineData("messagepack")]
    public async Task Simulate_streams_generations_through_the_public_hub_and_reports_what_came_back(string protocol)
    {
        var db = await postgres.CreateDatabaseAsync();
        await using var console = await ConsoleProcess.ServeAsync(db);
        var key = (await ConsoleProcess.RunAsync(db, null, "producer", "add", "simulated-platform")).LastLine;

        var result = await ConsoleProcess.RunAsync(db, null,
            "simulate", "--url", console.BaseAddress.ToString(), "--key", key, "--count", "60", "--rate", "500", "--batch", "20", "--seed", "7",
            "--protocol", protocol);

        Assert.True(result.ExitCode == 0, result.Errors + console.Log);
        // Every generation was checked first; what the check refused was never sent.
        await using var connection = new NpgsqlConnection(db);
        // Check records are written behind their answers: the last may land a moment after the run ends.
        await Eventually.TrueAsync(async () => await connection.ExecuteScalarAsync<int>("select count(*) from generation_checks") == 60,
            within: TimeSpan.FromSeconds(10));
        var refused = await connection.ExecuteScalarAsync<int>("select count(*) from generation_checks where verdict not in ('allow', 'allow_with_review')");
        Assert.InRange(refused, 1, 30);
        Assert.Contains($"{refused} refused by the check before generation; {60 - refused} submitted ({60 - refused} accepted, 0 duplicate, 0 rejected)",
            result.LastLine);
        Assert.Equal(60 - refused, await connection.ExecuteScalarAsync<int>("select count(distinct generation_id) from review_items"));
        // The summary's routes are what the console stored, and every automatic decision was pushed back live.
        var routes = (await connection.QueryAsync<(string Route, long Count)>("select route, count(*) from review_items group by route")).ToList();
        Assert.True(routes.Count >= 2, "demo traffic should take more than one route");
        foreach (var (route, count) in routes) Assert.Contains($"{route} {count}", result.LastLine);
        var automated = await connection.ExecuteScalarAsync<long>("select count(*) from decisions where automated");
        Assert.Equal(automated, long.Parse(DecisionsReceived().Match(result.LastLine).Groups[1].Value));
    }

    [Fact]
    public async Task Simulate_with_a_wrong_key_fails_saying_the_key_was_refused()
    {
        var db = await postgres.CreateDatabaseAsync();
        await using var console = await ConsoleProcess.ServeAsync(db);

        var result = await ConsoleProcess.RunAsync(db, null, "simulate", "--url", console.BaseAddress.ToString(), "--key", "mc_not-a-key", "--count", "1");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("refused the API key", result.Errors);
    }

    [Fact]
    public async Task Serve_demo_creates_the_demo_accounts_and_streams_traffic_into_the_queues()
    {
        var db = await postgres.CreateDatabaseAsync();

        await using var console = await ConsoleProcess.ServeAsync(db, "--demo", "--Demo:ItemsPerSecond=50");

        await using var connection = new NpgsqlConnection(db);
        await Eventually.TrueAsync(async () => await connection.ExecuteScalarAsync<int>("select count(*) from review_items") >= 20,
            () => console.Log);
        var emails = (await connection.QueryAsync<string>("select email from users order by email")).ToList();
        Assert.Equal(DemoAccounts.All.Select(a => a.Email).Order(StringComparer.Ordinal), emails);
        Assert.Contains(DemoAccounts.Banner.Split(Environment.NewLine)[1].Trim(), console.Log);
        Assert.Contains($"running at {console.BaseAddress.ToString().TrimEnd('/')}", console.Log);
    }

    [Fact]
    public async Task Without_a_connection_string_the_console_runs_its_own_cluster_which_other_commands_share()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "The embedded cluster runs on Linux.");
        var folder = Directory.CreateTempSubdirectory("mc-embedded-");
        // As root the server runs as the postgres user, which must be able to reach the folder.
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(folder.FullName, (UnixFileMode)0b111_101_101);
        var dataDirectory = Path.Combine(folder.FullName, "postgres");
        var environment = new Dictionary<string, string>
        {
            [$"ConnectionStrings__{DataRegistration.ConnectionStringName}"] = "",
            ["Database__EmbeddedDataDirectory"] = dataDirectory,
            ["Database__EmbeddedPort"] = "0",
        };
        try
        {
            var console = await ConsoleProcess.ServeAsync(environment);
            await using (console)
            {
                Assert.True(File.Exists(Path.Combine(dataDirectory, "pgdata", "PG_VERSION")));

                var added = await ConsoleProcess.RunAsync(environment, "a long enough password", "user", "add", "first@example.com", "--role", "moderator");

                Assert.True(added.ExitCode == 0, added.Errors);
                // The command reused serve's cluster and, not having started it, left it running.
                using var http = new HttpClient();
                Assert.True((await http.GetAsync(new Uri(console.BaseAddress, "/login"))).IsSuccessStatusCode);
                Assert.True(File.Exists(Path.Combine(dataDirectory, "pgdata", "postmaster.pid")));

                await console.StopAsync();
                Assert.False(File.Exists(Path.Combine(dataDirectory, "pgdata", "postmaster.pid")), "serve stops the cluster it started");
            }
        }
        finally
        {
            await using (var leftOver = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = dataDirectory }, null, default))
                await leftOver.StopAsync();
            folder.Delete(recursive: true);
        }
    }

    [GeneratedRegex(@"decisions received: (\d+)")]
    private static partial Regex DecisionsReceived();
}
