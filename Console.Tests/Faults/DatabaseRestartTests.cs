using System.Net;
using System.Net.Sockets;
using Dapper;
using ModerationConsole.Data;
using ModerationConsole.Tests.Infrastructure;
using Npgsql;

namespace ModerationConsole.Tests.Faults;

/// <summary>
/// PostgreSQL restarts while a producer streams (a failover, an upgrade): the console recovers by itself and the
/// producer's re-sends land, every item once. Runs on a cluster of its own, so the shared test cluster keeps running.
/// </summary>
[Trait(TestKind.Trait, TestKind.Faults)]
public sealed partial class DatabaseRestartTests
{
    private const int Items = 3_000;

    [Fact]
    public async Task The_console_recovers_from_a_database_restart_mid_stream_and_every_item_is_stored_once()
    {
        var dir = Directory.CreateTempSubdirectory("mc-pg-restart-");
        var options = new EmbeddedPostgresOptions { DataDirectory = dir.FullName, Port = FreePort(), StopOnDispose = true };
        var postgres = await EmbeddedPostgres.StartAsync(options, null, CancellationToken.None);
        try
        {
            var db = postgres.ConnectionString;
            var key = (await ConsoleProcess.RunAsync(db, null, "producer", "add", "platform")).LastLine;
            await using var console = await ConsoleProcess.ServeAsync(db);
            var streaming = ConsoleProcess.RunAsync(ConsoleProcess.Database(db), TimeSpan.FromMinutes(5), null,
                "simulate", "--url", console.BaseAddress.ToString(), "--key", key, "--count", Items.ToString(), "--rate", "600", "--batch", "50", "--seed", "5");
            await Eventually.TrueAsync(async () => await CountAsync(db) >= Items / 4, within: TimeSpan.FromSeconds(120));

            await postgres.StopAsync();
            // A producer's call in the outage is told to come back (503 with Retry-After), not that its key failed.
            using (var producer = new HttpClient { BaseAddress = console.BaseAddress })
            {
                producer.DefaultRequestHeaders.Add("X-Api-Key", key);
                using var outage = await producer.GetAsync("/api/v1/decisions");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, outage.StatusCode);
                Assert.NotNull(outage.Headers.RetryAfter);
            }
            await Task.Delay(TimeSpan.FromSeconds(3)); // producers keep sending into the outage
            postgres = await EmbeddedPostgres.StartAsync(options, null, CancellationToken.None);
            NpgsqlConnection.ClearAllPools(); // this test's own pooled connections died with the server

            var result = await streaming;
            Assert.True(result.ExitCode == 0, result.Errors + console.Log);
            await using var connection = new NpgsqlConnection(db);
            // Every generation was checked once; what the check allowed is stored once, and the summary says so. Check
            // records are written behind their answers: the last may land a moment after the stream ends.
            await Eventually.TrueAsync(async () => await connection.ExecuteScalarAsync<long>("select count(*) from generation_checks") == Items,
                within: TimeSpan.FromSeconds(30));
            var (checks, allowed) = await connection.QuerySingleAsync<(long, long)>(
                "select count(*), count(*) filter (where verdict in ('allow', 'allow_with_review')) from generation_checks");
            Assert.Equal(Items, checks);
            Assert.Equal((allowed, allowed), await connection.QuerySingleAsync<(long, long)>("select count(*), count(distinct generation_id) from review_items"));
            var summary = Summary().Match(result.LastLine);
            Assert.True(summary.Success, result.LastLine);
            Assert.Equal((Items - allowed, allowed), (long.Parse(summary.Groups[1].Value), long.Parse(summary.Groups[2].Value)));
            using var http = new HttpClient { BaseAddress = console.BaseAddress };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        }
        finally
        {
            await postgres.DisposeAsync();
            NpgsqlConnection.ClearAllPools();
            try { dir.Delete(recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<long> CountAsync(string db)
    {
        await using var connection = new NpgsqlConnection(db);
        return await connection.ExecuteScalarAsync<long>("select count(*) from review_items");
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"(\d+) refused by the check before generation; (\d+) submitted \(\d+ accepted, \d+ duplicate, 0 rejected\)")]
    private static partial System.Text.RegularExpressions.Regex Summary();
}
