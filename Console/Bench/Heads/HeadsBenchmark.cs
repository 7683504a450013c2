using System.Diagnostics;
using ModerationConsole.Audit;
using ModerationConsole.Heads;
using ModerationConsole.Policy;
using ModerationConsole.Scoring;
using ModerationConsole.Scoring.Manifest;

namespace ModerationConsole.Bench;

/// <summary>
/// <c>bench heads [--items N] [--batch N] [--training-examples N]</c>: scoring throughput of the default image model with a
/// head for every policy category in shadow mode (scores, embeddings and the heads' scores written) against the same
/// model with no heads, end to end through <see cref="ScoringService"/> on the same console (goal ≥ 0.9). The baseline
/// runs before and after, on items of its own, and its mean is the reference. Then the time to train one category's head
/// on N labelled embeddings (default 100,000) with <see cref="HeadTrainer"/>.
/// </summary>
public sealed class HeadsBenchmark : IBenchmark
{
    /// <summary>Items per scoring step, as the re-scoring job's default chunk.</summary>
    private const int Chunk = 256;

    public string Name => "heads";
    public string Summary => "image model + a head per category, items/s / image model alone (goal ≥ 0.9); head training time on 100k embeddings";

    public async Task RunAsync(BenchRun run, CancellationToken ct)
    {
        var items = run.Arguments.TakeIntOption("--items", 30, 1_000_000) ?? 1500;
        var batch = run.Arguments.TakeIntOption("--batch", 1, 4096) ?? 32;
        var examples = run.Arguments.TakeIntOption("--training-examples", 100, 10_000_000) ?? 100_000;
        var folder = Directory.CreateTempSubdirectory("mc-bench-models-");
        try
        {
            var manifest = await ScoreBenchmark.CopyManifestAsync(ScoreBenchmark.DefaultManifest(run), folder.FullName);
            var dimensions = manifest.Embedding?.Dimensions
                ?? throw new InvalidOperationException($"{manifest.Source} has no embedding output: run 'model install-default' again");
            var (services, _) = await run.StartConsoleAsync($"--Scoring:ModelsDirectory={folder.FullName}", $"--Scoring:BatchSize={batch}");
            var scoring = services.GetRequiredService<ScoringService>();
            var (ids, _) = await ScoreBenchmark.SeedAsync(run, items, ct);
            var thirds = ids.Chunk((ids.Count + 2) / 3).ToList();
            run.Report.Note($"model {manifest.Source}, batch {batch}, {ids.Count:N0} items in three parts: alone, with heads, alone");

            await scoring.ScoreBatchAsync(manifest.Name, manifest.Version, thirds[0].Take(batch).ToList(), Actor.Console, ct); // warm-up
            var before = await ScoreBenchmark.ScoredPerSecondAsync(scoring, manifest, thirds[0].Skip(batch).ToList(), Chunk, ct);
            var categories = await RegisterShadowHeadsAsync(services, manifest, dimensions, ct);
            var withHeads = await ScoreBenchmark.ScoredPerSecondAsync(scoring, manifest, thirds[1].ToList(), Chunk, ct);
            await ShadowOffAsync(run, ct);
            var after = await ScoreBenchmark.ScoredPerSecondAsync(scoring, manifest, thirds[2].ToList(), Chunk, ct);
            var alone = (before + after) / 2;
            run.Report.Figure($"image model alone (scores and embeddings stored), mean of before ({before:0}) and after ({after:0})", alone, "items/s");
            run.Report.Figure($"image model + {categories} heads in the same step", withHeads, "items/s");
            run.Report.Ratio("with heads / alone", withHeads, alone, goal: 0.9);

            TrainingTime(run, examples, dimensions);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>One head version with a random linear head per policy category, in shadow mode: it scores every item, routes none.</summary>
    private static async Task<int> RegisterShadowHeadsAsync(IServiceProvider services, ClassifierManifest backbone, int dimensions, CancellationToken ct)
    {
        var categories = (await services.GetRequiredService<PolicyStore>().LoadActiveAsync(ct)).Document.Categories.Select(c => c.Name).ToList();
        var random = new Random(11);
        var heads = categories.Select(c => new LinearHead(c, Enumerable.Range(0, dimensions).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray(), -1f)).ToList();
        var manifest = HeadExport.Manifest(HeadTraining.ModelName, "1", backbone.Source, dimensions, heads, "bench: random heads");
        var store = services.GetRequiredService<ClassifierStore>();
        await store.RegisterAsync(manifest, HeadExport.ToOnnx(heads, dimensions), storeBytes: true, metrics: null, Actor.Console, null, ct);
        await using var connection = await services.GetRequiredService<Data.Db>().DataSource.OpenConnectionAsync(ct);
        await Dapper.SqlMapper.ExecuteAsync(connection, "update classifier_versions set shadow_since = now() where name = @ModelName", new { HeadTraining.ModelName });
        return heads.Count;
    }

    private static async Task ShadowOffAsync(BenchRun run, CancellationToken ct)
    {
        await using var connection = await run.OpenConnectionAsync(ct);
        await Dapper.SqlMapper.ExecuteAsync(connection, "update classifier_versions set shadow_since = null where name = @ModelName", new { HeadTraining.ModelName });
    }

    /// <summary>One category's head on <paramref name="examples"/> unit vectors, a third of them leaning one way (blocked).</summary>
    private static void TrainingTime(BenchRun run, int examples, int dimensions)
    {
        var random = new Random(12);
        var direction = Enumerable.Range(0, dimensions).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        Embeddings.EmbeddingVector.Normalize(direction);
        var labelled = new List<LabelledEmbedding>(examples);
        for (var i = 0; i < examples; i++)
        {
            var blocked = random.Next(3) == 0;
            var vector = new float[dimensions];
            for (var d = 0; d < dimensions; d++) vector[d] = (float)random.NextDouble() + (blocked ? 0.3f * direction[d] : 0);
            Embeddings.EmbeddingVector.Prepare(vector);
            labelled.Add(new LabelledEmbedding(i, vector, blocked ? new HashSet<string> { "hate" } : new HashSet<string>(), !blocked, i % 20,
                $"user-{i / 2}", DateTimeOffset.UnixEpoch.AddSeconds(i)));
        }
        var watch = Stopwatch.StartNew();
        var split = StratifiedSplit.For("hate", labelled);
        var trained = HeadTrainer.Train(split, dimensions, 0.9, "auto-block", alwaysHuman: false);
        run.Report.Figure($"training one head on {examples:N0} labelled embeddings ({split.Training.Count:N0} trained, {split.HeldOut.Count:N0} held out; ROC AUC {trained.Metrics.RocAuc:0.000})",
            watch.Elapsed.TotalSeconds, "s");
    }
}
