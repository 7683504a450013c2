using ModerationConsole.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;
using ModerationConsole.Bench;
using Onnx;

namespace ModerationConsole.Tests.Scoring;

/// <summary>The models <c>bench score</c> builds are the size they claim and run in the host like any dropped-in model.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class BenchImageModelTests
{
    [Fact]
    public void The_MobileNetV2_model_has_torchvisions_layer_plan_and_parameter_count()
    {
        var graph = ModelProto.Parser.ParseFrom(BenchImageModel.MobileNetV2().Onnx).Graph;
        var convolutions = graph.Node.Where(n => n.OpType == "Conv").ToList();
        long Size(string name) => graph.Initializer.Single(t => t.Name == name).Dims.Aggregate(1L, (a, b) => a * b);
        var convWeights = convolutions.Sum(c => Size(c.Input[1]));
        var outChannels = convolutions.Sum(c => Size(c.Input[2]));

        Assert.Equal(52, convolutions.Count);
        Assert.Equal(10, graph.Node.Count(n => n.OpType == "Add" && n.Output[0] != "logits")); // the residual connections
        Assert.Equal(17, convolutions.Count(c => c.Attribute.Single(a => a.Name == "group").I > 1)); // one depthwise per block
        // torchvision's mobilenet_v2() has 3,504,872 parameters: these convolutions, a batch norm (scale and shift) after
        // each, and the 1280→1000 ImageNet classifier. The batch norms are folded into the biases here.
        Assert.Equal(3_504_872, convWeights + 2 * outChannels + 1280 * 1000 + 1000);
    }

    [Theory]
    [InlineData("mobilenetv2")]
    [InlineData("light")]
    public void A_built_model_scores_a_batch_into_one_finite_probability_per_category(string which)
    {
        var (manifest, onnx) = which == "light" ? BenchImageModel.LightCnn() : BenchImageModel.MobileNetV2();
        using var host = ScoringTestModels.CpuHost();
        using var classifier = host.OpenUnregistered(manifest, onnx);
        var random = new Random(4);
        var input = Enumerable.Range(0, 2 * 3 * 224 * 224).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();

        using var tensor = OrtValue.CreateTensorValueFromMemory(input, [2, 3, 224, 224]);
        var scores = classifier.Run(["pixels"], [tensor], 2);

        Assert.Equal(2 * manifest.Labels.Count, scores.Length);
        Assert.All(scores, s => Assert.InRange(s, 0f, 1f));
        Assert.NotEqual(scores[..manifest.Labels.Count], scores[manifest.Labels.Count..]); // the two items differ
    }
}
