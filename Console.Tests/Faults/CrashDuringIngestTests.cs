using Dapper;
using ModerationConsole.Tests.Infrastructure;
using Npgsql;

namespace ModerationConsole.Tests.Faults;

/// <summary>
/// What producers fear most: the console dies mid-stream. A producer that re-sends what was not acknowledged (the
/// `simulate` command does, as the contract asks) ends up with every item the check allowed stored exactly once.
/// </summary>
[Trait(TestKind.Trait, TestKind.Faults)]
public sealed partial class CrashDuringIngestTests(PostgresFixture postgres)
{
    private const int Items = 10_000;

    [Fact]
    public async Task A_console_killed_with_sigkill_mid_stream_and_restarted_loses_nothing_and_stores_nothing_twice()
    {
        var db = await postgres.CreateDatabaseAsync();
        var key = (await ConsoleProcess.RunAsync(db, null, "producer", "add", "platform")).LastLine;
        var environment = ConsoleProcess.Database(db);
        var console = await ConsoleProcess.ServeAsync(environment);
        var url = console.BaseAddress.ToString().TrimEnd('/');
        try
        {
            // Generous: on CI's two busy cores the stream, with the crash and restart, has taken over two minutes.
            var streaming = ConsoleProcess.RunAsync(environment, TimeSpan.FromMinutes(5), null,
                "simulate", "--url", url, "--key", key, "--count", Items.ToString(), "--rate", "3000", "--batch", "100", "--seed", "11");
            await using var connection = new NpgsqlConnection(db);
            await Eventually.TrueAsync(async () => await connection.ExecuteScalarAsync<long>("select count(*) from review_items") >= Items / 4,
                within: TimeSpan.FromSeconds(120));

            await console.KillHardAsync();
            var storedAtCrash = await connection.ExecuteScalarAsync<long>("select count(*) from review_items");
            await console.DisposeAsync();
            console = await ConsoleProcess.ServeAtAsync(environment, url);

            var result = await streaming;
            Assert.True(result.ExitCode == 0, result.Errors);
            Assert.True(storedAtCrash < Items, "the crash came before the end of the stream");
            // Every generation was checked and what the check allowed is stored once. Check records written behind their
            // answers and still queued at the kill (a few milliseconds of checks) are lost; none is recorded twice.
            var summary = Summary().Match(result.LastLine);
            Assert.True(summary.Success, result.LastLine);
            var (refused, submitted) = (long.Parse(summary.Groups[1].Value), long.Parse(summary.Groups[2].Value));
            Assert.Equal(Items, refused + submitted);
            var (rows, distinct) = await connection.QuerySingleAsync<(long, long)>("select count(*), count(distinct generation_id) from review_items");
            Assert.Equal((submitted, submitted), (rows, distinct));
            var (checks, distinctChecks) = await connection.QuerySingleAsync<(long, long)>("select count(*), count(distinct check_id) from generation_checks");
            Assert.Equal(checks, distinctChecks);
            Assert.InRange(checks, Items - 1_000, Items);
        }
        finally
        {
            await console.DisposeAsync();
        }
    }

    // Everything acknowledged in the end: accepted the first time or, when the answer was lost, duplicate on re-send.
    [System.Text.RegularExpressions.GeneratedRegex(@"(\d+) refused by the check before generation; (\d+) submitted \(\d+ accepted, \d+ duplicate, 0 rejected\)")]
    private static partial System.Text.RegularExpressions.Regex Summary();
}
