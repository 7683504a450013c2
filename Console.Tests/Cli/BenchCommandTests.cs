using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Cli;

/// <summary>
/// The benchmarks run end to end at a small size, so they keep working between the runs that measure: each prints its
/// figures and a goal line, exits 0 or 1 (goal met or not), and leaves no scratch database behind. The figures
/// themselves are taken with the full sizes and reported in docs/benchmarks.md, never judged here.
/// </summary>
[Trait(TestKind.Trait, TestKind.Bench)]
public sealed class BenchCommandTests(PostgresFixture postgres)
{
    [Theory]
    [InlineData("export", "working set growth / file size", new[] { "--rows", "2000" })]
    [InlineData("ingest", "hub items/s / COPY items/s, medians", new[] { "--items", "200", "--rounds", "2", "--connections", "2", "--warmup", "100", "--warmup-rounds", "1" })]
    [InlineData("claims", "console claims/s / pgbench claims/s", new[] { "--rows", "10000", "--seconds", "5", "--warmup-rounds", "1" })]
    [InlineData("memory", "managed heap per circuit", new[] { "--circuits", "3" })]
    // The default image model as ./test.sh installs it into the repository's models/, and nsfwjs from scripts/nsfwjs.
    [InlineData("score", "end-to-end / nsfwjs", new[] { "--items", "100", "--nsfwjs-images", "1", "--Scoring:ModelsDirectory=models" })]
    [InlineData("heads", "with heads / alone", new[] { "--items", "150", "--batch", "8", "--training-examples", "500", "--Scoring:ModelsDirectory=models" })]
    [InlineData("backbones", "held-out ROC AUC", new[] { "--pictures", "50", "--Scoring:ModelsDirectory=models" })]
    [InlineData("bank", "multi-index / brute force", new[] { "--hashes", "5000", "--queries", "200" })]
    [InlineData("ladder", "blocking with the ladder / with it switched off", new[] { "--rows", "10000", "--seconds", "3", "--rounds", "1" })]
    [InlineData("checks", "checks/s flat out / the constant endpoint's", new[] { "--seconds", "3", "--rate", "100" })]
    public async Task Each_benchmark_runs_at_a_small_size_and_reports_its_figures(string name, string expectedLine, string[] options)
    {
        var server = postgres.Server.ConnectionStringFor("postgres");

        var result = await ConsoleProcess.RunAsync(server, null, ["bench", name, .. options]);

        Assert.True(result.ExitCode is 0 or 1, $"exit {result.ExitCode}: {result.Errors}");
        Assert.Contains($"bench {name}:", result.Output);
        Assert.True(result.Output.Contains(expectedLine), $"'{expectedLine}' is missing.\nOutput:\n{result.Output}\nErrors:\n{result.Errors}");
        await using var connection = new Npgsql.NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var scratch = new Npgsql.NpgsqlCommand("select count(*) from pg_database where datname like @prefix", connection);
        scratch.Parameters.AddWithValue("prefix", $"bench_{name}_%");
        Assert.Equal(0L, await scratch.ExecuteScalarAsync());
    }
}
