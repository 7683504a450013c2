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
using ModerationConsole.Scoring.Import;

namespace ModerationConsole.Bench;

/// <summary>
/// <c>bench score [--items N] [--batch N] [--model MANIFEST] [--chunk N] [--nsfwjs-images N]</c>: re-scoring throughput
/// end to end (item ids → images read from PostgreSQL → decode and resize → inference → item_scores and audit written
/// back, through <see cref="ScoringService"/> as a job calls it) against ONNX Runtime alone on ready tensors, same
/// session, same batch size (goal ≥ 0.9); and, for the default image model, against nsfwjs itself in Node.js on the
/// same pictures (goal ≥ 10×). Without --model it measures the default image model from the models folder.
/// </summary>
public sealed class ScoreBenchmark : IBenchmark
{
    public string Name => "score";
    public string Summary => "end-to-end re-scoring items/s / raw ONNX Runtime items/s on ready tensors (goal ≥ 0.9); / nsfwjs in Node.js (goal ≥ 10)";

    public async Task RunAsync(BenchRun run, CancellationToken ct)
    {
        var items = run.Arguments.TakeIntOption("--items", 10, 1_000_000) ?? 3000;
        var batch = run.Arguments.TakeIntOption("--batch", 1, 4096) ?? 32;
        var chunk = run.Arguments.TakeIntOption("--chunk", 1, 100_000) ?? 256;
        var nsfwjsImages = run.Arguments.TakeIntOption("--nsfwjs-images", 1, 1000) ?? 24;
        var modelPath = run.Arguments.TakeOption("--model") ?? DefaultManifest(run);
        var folder = Directory.CreateTempSubdirectory("mc-bench-models-");
        try
        {
            var manifest = await CopyManifestAsync(modelPath, folder.FullName);
            var (services, _) = await run.StartConsoleAsync($"--Scoring:ModelsDirectory={folder.FullName}", $"--Scoring:BatchSize={batch}");
            var host = services.GetRequiredService<ClassifierHost>();
            var scoring = services.GetRequiredService<ScoringService>();
            var (ids, pictures) = await SeedAsync(run, items, ct);
            var endToEnd = await MeasureAsync(run, host, scoring, manifest, ids, batch, chunk, ct);
            ReportPreprocessingCost(run, manifest, pictures); // after: the code is compiled and the console settled
            if (manifest.Name == DefaultImageModel.Name)
                await CompareWithNsfwjsAsync(run, endToEnd, pictures.Take(nsfwjsImages).ToList());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>Decoding a picture and preparing the model's input from it, one thread: what competes with inference for the cores.</summary>
    private static void ReportPreprocessingCost(BenchRun run, ClassifierManifest manifest, byte[][] pictures)
    {
        var preprocessor = new ImagePreprocessor(manifest.Image!);
        var input = new float[preprocessor.ItemLength];
        foreach (var picture in pictures.Take(32)) preprocessor.TryWrite(picture, input); // warm-up
        var watch = Stopwatch.StartNew();
        foreach (var picture in pictures) preprocessor.TryWrite(picture, input);
        run.Report.Figure($"decode and prepare the input ({manifest.Image!.Sampler}), one thread", watch.Elapsed.TotalMilliseconds / pictures.Length, "ms per picture");
    }

    /// <summary>The default image model's manifest in the configured models folder (<c>model install-default</c> puts it there).</summary>
    internal static string DefaultManifest(BenchRun run)
    {
        var path = DefaultImageModel.ManifestPath(ModelFolder.Resolve(run.Arguments.Remaining));
        return File.Exists(path) ? path
            : throw new InvalidOperationException($"{path} is missing: run 'model install-default' first, or name a model with --model MANIFEST");
    }

    /// <summary>nsfwjs classifying the same pictures one by one, as its API is used, timed inside Node.js once its model is loaded.</summary>
    private static async Task CompareWithNsfwjsAsync(BenchRun run, double endToEnd, IReadOnlyList<byte[]> pictures)
    {
        if (!NsfwjsReference.IsInstalled)
        {
            run.Report.Note($"nsfwjs comparison left out: nsfwjs is not installed in {NsfwjsReference.Folder} (npm ci --ignore-scripts --prefix scripts/nsfwjs)");
            return;
        }
        var nsfwjs = await NsfwjsReference.ClassifyAsync("MobileNetV2", pictures);
        run.Report.Figure($"nsfwjs in Node.js (TensorFlow.js CPU backend), {pictures.Count} of the same pictures", nsfwjs.ImagesPerSecond, "images/s");
        run.Report.Ratio("end-to-end / nsfwjs", endToEnd, nsfwjs.ImagesPerSecond, goal: 10);
    }

    /// <summary>Raw ONNX Runtime, then end to end over the same items; returns the end-to-end rate.</summary>
    private static async Task<double> MeasureAsync(BenchRun run, ClassifierHost host, ScoringService scoring, ClassifierManifest manifest,
        List<long> ids, int batch, int chunk, CancellationToken ct)
    {
        var classifier = await host.GetAsync(manifest.Name, manifest.Version, ct);
        run.Report.Note($"model {manifest.Source}, batch {batch}, {ids.Count:N0} items, provider {host.Provider.Name} ({host.Provider.Detail})");
        var raw = RawItemsPerSecond(classifier, batch, Math.Max(ids.Count / 2, batch * 4));
        run.Report.Figure("raw ONNX Runtime, ready tensors", raw, "items/s");

        await scoring.ScoreBatchAsync(manifest.Name, manifest.Version, ids.Take(batch).ToList(), Actor.Console, ct); // warm-up: JIT, pools
        var endToEnd = await ScoredPerSecondAsync(scoring, manifest, ids.Skip(batch).ToList(), chunk, ct);
        run.Report.Figure("end-to-end, PostgreSQL → scores", endToEnd, "items/s");
        run.Report.Ratio("end-to-end / raw", endToEnd, raw, goal: 0.9);
        return endToEnd;
    }

    /// <summary>Items scored per second through <see cref="ScoringService"/>, in chunks as a job scores them; every item must be scored.</summary>
    internal static async Task<double> ScoredPerSecondAsync(ScoringService scoring, ClassifierManifest manifest, List<long> ids, int chunk, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var scored = 0;
        foreach (var part in ids.Chunk(chunk))
            scored += (await scoring.ScoreBatchAsync(manifest.Name, manifest.Version, part, Actor.Console, ct)).Scored;
        if (scored != ids.Count) throw new InvalidOperationException($"scored {scored} of {ids.Count} items");
        return scored / watch.Elapsed.TotalSeconds;
    }

    internal static async Task<ClassifierManifest> CopyManifestAsync(string manifestPath, string folder)
    {
        var manifest = ClassifierManifest.Parse(await File.ReadAllTextAsync(manifestPath));
        if (manifest.Modality != "image") throw new InvalidOperationException("bench score needs an image model");
        var onnx = Path.GetFullPath(manifest.File ?? Path.ChangeExtension(manifestPath, ".onnx"), Path.GetDirectoryName(Path.GetFullPath(manifestPath))!);
        // The scratch console reads its own folder: the manifest there points back at the original .onnx.
        await File.WriteAllTextAsync(Path.Combine(folder, "model.json"), (manifest with { File = onnx }).ToJson());
        return manifest;
    }

    /// <summary>Pending items with 256×256 PNG images (256 distinct pictures, about 125 KB each, cycled).</summary>
    internal static async Task<(List<long> Ids, byte[][] Pictures)> SeedAsync(BenchRun run, int items, CancellationToken ct)
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
        return ((await connection.QueryAsync<long>("select id from review_items order by id")).AsList(), pictures);
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
