using System.Diagnostics;
using Microsoft.Extensions.Options;
using ModerationConsole.Heads;
using ModerationConsole.Scoring;
using ModerationConsole.Scoring.Manifest;
using ModerationConsole.Scoring.Runtime;
using ModerationConsole.Scoring.Import;

namespace ModerationConsole.Bench;

/// <summary>
/// <c>bench backbones [--pictures N] [--resnet18 ResNet18.onnx]</c>: which backbone's embeddings make the better heads.
/// Each backbone embeds the <see cref="SymbolTask"/> pictures (N per side, at two symbol sizes); a head is trained on the
/// older 80% and its ROC AUC measured on the newest 20%, as the console trains them; and its embedding speed is timed.
/// The default image model's pooled layer is always measured. ImageNet's ResNet18, as the NuGet package
/// Microsoft.ML.DnnImageFeaturizer.ResNet18 ships it (tools/DnnImageModels/ResNet18Onnx), is measured when given, prepared
/// as <see cref="ResNet18Backbone"/> installs it.
/// </summary>
public sealed class BackbonesBenchmark : IBenchmark
{
    public string Name => "backbones";
    public string Summary => "held-out ROC AUC of a head on each backbone's embeddings (symbol task, two sizes) and embedding images/s";

    public async Task RunAsync(BenchRun run, CancellationToken ct)
    {
        var perSide = run.Arguments.TakeIntOption("--pictures", 50, 100_000) ?? 300;
        var resnet = run.Arguments.TakeOption("--resnet18");
        var folder = Directory.CreateTempSubdirectory("mc-bench-backbones-");
        try
        {
            var manifests = new List<ClassifierManifest> { await ScoreBenchmark.CopyManifestAsync(ScoreBenchmark.DefaultManifest(run), folder.FullName) };
            if (resnet is not null) manifests.Add(WriteResNet18(resnet, folder.FullName));
            else run.Report.Note("ResNet18 left out: give --resnet18 PATH (ResNet18.onnx from the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0)");
            var (services, _) = await run.StartConsoleAsync($"--Scoring:ModelsDirectory={folder.FullName}");
            var host = services.GetRequiredService<ClassifierHost>();
            var options = services.GetRequiredService<IOptions<ScoringOptions>>().Value;
            var tasks = new (string Name, int Min, int Max)[] { ("symbol 40–90 px", 40, 90), ("symbol 12–24 px", 12, 24) };
            foreach (var manifest in manifests)
            {
                var backbone = await host.GetAsync(manifest.Name, manifest.Version, ct);
                foreach (var (name, min, max) in tasks)
                {
                    var pictures = Enumerable.Range(1, 2 * perSide).AsParallel().AsOrdered()
                        .Select(seed => (Png: SymbolTask.Png(seed, seed % 2 == 0, min, max), Symbol: seed % 2 == 0)).ToList();
                    var watch = Stopwatch.StartNew();
                    var outputs = await ImageBatchRunner.RunAsync(backbone, pictures.Select(p => p.Png).ToList(), options.BatchSize, options.DecodeThreads,
                        withEmbeddings: true, ct);
                    var rate = pictures.Count / watch.Elapsed.TotalSeconds;
                    var labelled = outputs.Select((o, i) => new LabelledEmbedding(i, o!.Embedding!,
                        pictures[i].Symbol ? new HashSet<string> { "hate" } : new HashSet<string>(), !pictures[i].Symbol, 0, $"user-{i}",
                        DateTimeOffset.UnixEpoch.AddMinutes(i))).ToList();
                    var trained = HeadTrainer.Train(StratifiedSplit.For("hate", labelled), manifest.Embedding!.Dimensions, 0.9, "auto-block", false);
                    run.Report.Figure($"{manifest.Source} ({manifest.Embedding.Dimensions}-d), {name}: held-out ROC AUC", trained.Metrics.RocAuc, "");
                    run.Report.Figure($"{manifest.Source}, {name}: embedding", rate, "images/s");
                }
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>ResNet18 as <c>model install-resnet18</c> installs it: a dynamic batch, and its manifest pointing at the converted file.</summary>
    private static ClassifierManifest WriteResNet18(string path, string folder)
    {
        var onnx = Path.Combine(folder, "resnet18.onnx");
        File.WriteAllBytes(onnx, ResNet18Backbone.WithDynamicBatch(File.ReadAllBytes(path)));
        var manifest = ResNet18Backbone.Manifest() with { File = onnx };
        File.WriteAllText(Path.Combine(folder, "resnet18.json"), manifest.ToJson());
        return manifest;
    }
}
