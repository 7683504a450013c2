using System.Diagnostics;
using System.Security.Cryptography;
using Dapper;
using Microsoft.ML.OnnxRuntime;
using ModerationConsole.Audit;
using ModerationConsole.Scoring.Images;
using ModerationConsole.Scoring.Manifest;
using ModerationConsole.Scoring.Runtime;
using ModerationConsole.Simulate;
using ModerationConsole.Scoring;

namespace ModerationConsole.Bench;

/// <summary>
/// <c>bench score [--items N] [--batch N] [--model MANIFEST] [--chunk N]</c>: re-scoring throughput end to end (item ids
/// → images read from PostgreSQL → decode and resize → inference → item_scores and audit written back, through
/// <see cref="ScoringService"/> as a job calls it) against ONNX Runtime alone on ready tensors, same session, same
/// batch size. Without --model two random-weight models are built (<see cref="BenchImageModel"/>): a MobileNetV2-shaped one,
/// whose ratio carries the goal, and a light CNN whose ratio shows the pipeline's own cost.
/// </summary>
public sealed class ScoreBenchmark : IBenchmark
{
    public string Name => "score";
    public string Summary => "end-to-end re-scoring items/s / raw ONNX Runtime items/s on ready tensors (goal ≥ 0.7)";

    public async Task RunAsync(BenchRun run, CancellationToken ct)
    {
        var items = run.Arguments.TakeIntOption("--items", 10, 1_000_000) ?? 3000;
        var batch = run.Arguments.TakeIntOption("--batch", 1, 4096) ?? 32;
        var chunk = run.Arguments.TakeIntOption("--chunk", 1, 100_000) ?? 256;
        var modelPath = run.Arguments.TakeOption("--model");
        var folder = Directory.CreateTempSubdirectory("mc-bench-models-");
        try
        {
            var models = modelPath is not null
                ? [new BenchModel(await CopyManifestAsync(modelPath, folder.FullName), Path.GetFileNameWithoutExtension(modelPath), Path.GetFileName(modelPath), Goal: true)]
                : await WriteBuiltModelsAsync(folder.FullName);
            var (services, _) = await run.StartConsoleAsync($"--Scoring:ModelsDirectory={folder.FullName}", $"--Scoring:BatchSize={batch}");
            var host = services.GetRequiredService<ClassifierHost>();
            var scoring = services.GetRequiredService<ScoringService>();
            var ids = await SeedAsync(run, items, ct);
            foreach (var model in models)
                await MeasureAsync(run, host, scoring, model, ids, batch, chunk, ct);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>A model to measure, how the report names it, and whether the ratio's goal applies to it.</summary>
    private sealed record BenchModel(ClassifierManifest Manifest, string Label, string Description, bool Goal);

    /// <summary>Raw ONNX Runtime, then end to end over the same items, for one model; each model scores every item once.</summary>
    private static async Task MeasureAsync(BenchRun run, ClassifierHost host, ScoringService scoring, BenchModel model,
        List<long> ids, int batch, int chunk, CancellationToken ct)
    {
        var manifest = model.Manifest;
        var classifier = await host.GetAsync(manifest.Name, manifest.Version, ct);
        run.Report.Note($"model {manifest.Source} ({model.Description}), batch {batch}, {ids.Count:N0} items, provider {host.Provider.Name} ({host.Provider.Detail})");
        var raw = RawItemsPerSecond(classifier, batch, Math.Max(ids.Count / 2, batch * 4));
        run.Report.Figure($"{model.Label}: raw ONNX Runtime, ready tensors", raw, "items/s");

        await scoring.ScoreBatchAsync(manifest.Name, manifest.Version, ids.Take(batch).ToList(), Actor.Console, ct); // warm-up: JIT, pools
        var timed = ids.Skip(batch).ToList();
        var watch = Stopwatch.StartNew();
        var scored = 0;
        foreach (var part in timed.Chunk(chunk))
            scored += (await scoring.ScoreBatchAsync(manifest.Name, manifest.Version, part, Actor.Console, ct)).Scored;
        var endToEnd = scored / watch.Elapsed.TotalSeconds;
        if (scored != timed.Count) throw new InvalidOperationException($"scored {scored} of {timed.Count} items");
        run.Report.Figure($"{model.Label}: end-to-end, PostgreSQL → scores", endToEnd, "items/s");
        run.Report.Ratio($"{model.Label}: end-to-end / raw", endToEnd, raw, goal: model.Goal ? 0.7 : null);
    }

    private static async Task<ClassifierManifest> CopyManifestAsync(string manifestPath, string folder)
    {
        var manifest = ClassifierManifest.Parse(await File.ReadAllTextAsync(manifestPath));
        if (manifest.Modality != "image") throw new InvalidOperationException("bench score needs an image model");
        var onnx = Path.GetFullPath(manifest.File ?? Path.ChangeExtension(manifestPath, ".onnx"), Path.GetDirectoryName(Path.GetFullPath(manifestPath))!);
        // The scratch console reads its own folder: the manifest there points back at the original .onnx.
        await File.WriteAllTextAsync(Path.Combine(folder, "model.json"), (manifest with { File = onnx }).ToJson());
        return manifest;
    }

    /// <summary>
    /// The MobileNetV2-shaped model, whose ratio carries the goal (a real classifier's size), and the light CNN, whose
    /// ratio shows what the pipeline itself costs when the model is cheap.
    /// </summary>
    private static async Task<List<BenchModel>> WriteBuiltModelsAsync(string folder)
    {
        var models = new List<BenchModel>();
        foreach (var ((manifest, bytes), label, description, goal) in new[]
        {
            (BenchImageModel.MobileNetV2(), "mobilenetv2", "built: MobileNetV2 layer plan, 0.3 GMAC, 224×224×3", true),
            (BenchImageModel.LightCnn(), "light cnn", "built: 4 dense conv layers, 0.19 GMAC, 224×224×3", false),
        })
        {
            await File.WriteAllBytesAsync(Path.Combine(folder, manifest.File!), bytes);
            await File.WriteAllTextAsync(Path.Combine(folder, manifest.Name + ".json"), manifest.ToJson());
            models.Add(new BenchModel(manifest, label, description, goal));
        }
        return models;
    }

    /// <summary>Pending items with 256×256 PNG images (256 distinct pictures, about 125 KB each, cycled).</summary>
    private static async Task<List<long>> SeedAsync(BenchRun run, int items, CancellationToken ct)
    {
        var pictures = Enumerable.Range(0, 256).AsParallel().AsOrdered().Select(seed => SyntheticImages.Png(256, 256, seed)).ToArray();
        await using var connection = await run.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(
            """
            insert into producers (name, key_hash, key_prefix) values ('bench-platform', '\x00', 'bench');
            insert into images (sha256, content_type, width, height, byte_length, bytes)
            select h, 'image/png', 256, 256, length(b), b from unnest(@hashes, @bytes) as s (h, b);
            insert into review_items (producer_id, generation_id, user_id, prompt, created_at, image_sha256, policy_version, route, status, queue)
            select (select id from producers), 'gen-' || g, 'user-' || (g % 500), 'bench prompt ' || g, now(),
                   (@hashes)[1 + g % array_length(@hashes, 1)], (select version from policies where active), 'queued', 'pending', 'standard'
            from generate_series(1, @items) g;
            analyze review_items;
            """, new { hashes = pictures.Select(SHA256.HashData).ToArray(), bytes = pictures, items }, commandTimeout: 0);
        return (await connection.QueryAsync<long>("select id from review_items order by id")).AsList();
    }

    /// <summary>The same session on a ready, normalised tensor: what the model alone can do at this batch size.</summary>
    private static double RawItemsPerSecond(LoadedClassifier classifier, int batch, int items)
    {
        var preprocessor = new ImagePreprocessor(classifier.Manifest.Image!);
        var input = new float[batch * preprocessor.ItemLength];
        var random = new Random(5);
        for (var i = 0; i < input.Length; i++) input[i] = (float)(random.NextDouble() * 4 - 2);
        using var tensor = OrtValue.CreateTensorValueFromMemory(input, preprocessor.Shape(batch));
        string[] names = [classifier.Manifest.Image!.Input];
        for (var i = 0; i < 2; i++) classifier.Run(names, [tensor], batch); // warm-up
        var runs = Math.Max(3, items / batch);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < runs; i++) classifier.Run(names, [tensor], batch);
        return runs * batch / watch.Elapsed.TotalSeconds;
    }
}
