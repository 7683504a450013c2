using Microsoft.ML.OnnxRuntime;
using ModerationConsole.Scoring.Import;
using ModerationConsole.Scoring.Runtime;
using ModerationConsole.Simulate;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Scoring.Import;

/// <summary>
/// The console's conversion of nsfwjs' models, with its preprocessing, gives the probabilities nsfwjs itself gives
/// (TensorFlow.js, CPU backend) for the same pixels: within 1e-3 per class.
/// </summary>
[Trait(TestKind.Trait, TestKind.Peer)]
public sealed class NsfwjsEquivalenceTests
{
    private const double Tolerance = 1e-3;

    private static readonly Lazy<LoadedClassifier> MobileNetV2 = new(() => Convert("mobilenet_v2", "nsfwjs-mobilenet-v2"));

    [Fact]
    public async Task MobileNetV2_gives_nsfwjs_probabilities_for_pictures_of_several_sizes()
    {
        byte[][] pictures =
        [
            SyntheticImages.NoisyPng(300, 200, 1), SyntheticImages.Png(640, 480, 2), SyntheticImages.NoisyPng(97, 131, 3),
            SyntheticImages.Png(1024, 768, 4), SyntheticImages.NoisyPng(225, 223, 5), SyntheticImages.Png(150, 600, 6),
        ];

        await AssertSameAsNsfwjsAsync(MobileNetV2.Value, "MobileNetV2", pictures);
    }

    /// <summary>At the model's own size neither side resizes: a difference here is the conversion, not the resize.</summary>
    [Fact]
    public async Task MobileNetV2_gives_nsfwjs_probabilities_for_224_by_224_pictures_that_need_no_resize()
    {
        byte[][] pictures = [SyntheticImages.NoisyPng(224, 224, 11), SyntheticImages.Png(224, 224, 12)];

        await AssertSameAsNsfwjsAsync(MobileNetV2.Value, "MobileNetV2", pictures);
    }

    internal static async Task AssertSameAsNsfwjsAsync(LoadedClassifier classifier, string nsfwjsModel, byte[][] pictures)
    {
        var expected = await NodePeers.NsfwjsClassifyAsync(nsfwjsModel, pictures);
        var actual = await ImageBatchRunner.RunAsync(classifier, pictures, batchSize: 4, decodeThreads: 0, CancellationToken.None);

        var labels = classifier.Manifest.Labels.Select(l => l.Name).ToList();
        var differences = new List<string>();
        for (var i = 0; i < pictures.Length; i++)
            for (var j = 0; j < labels.Count; j++)
            {
                var difference = Math.Abs(actual[i]![j] - expected[i][labels[j]]);
                if (difference > Tolerance) differences.Add($"picture {i} {labels[j]}: console {actual[i]![j]:0.000000}, nsfwjs {expected[i][labels[j]]:0.000000}");
            }
        Assert.True(differences.Count == 0, string.Join("\n", differences));
        // Not a degenerate comparison: the model's answer is not one certain class.
        Assert.All(actual, a => Assert.InRange(a!.Max(), 0.2f, 0.9999f));
    }

    internal static LoadedClassifier Convert(string folder, string name)
    {
        var converted = TfjsToOnnx.Convert(TfjsModelFiles.Read(NodePeers.NsfwjsModel(folder)), name);
        var manifest = TfjsImport.Manifest(converted, name, "test", DefaultImageModel.Labels, "sum", null, null, null);
        return new LoadedClassifier(manifest, new InferenceSession(converted.Onnx), "CPU");
    }
}
