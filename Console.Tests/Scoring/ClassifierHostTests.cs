using ModerationConsole.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;
using ModerationConsole.Scoring.Runtime;

namespace ModerationConsole.Tests.Scoring;

/// <summary>The host runs real ONNX Runtime sessions over models built here with known weights.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class ClassifierHostTests
{
    [Fact]
    public void An_image_model_with_known_weights_gives_the_scores_computed_independently()
    {
        var random = new Random(3);
        var weights = Enumerable.Range(0, 36).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float[] bias = [0.1f, -0.2f, 0.05f];
        var manifest = ScoringTestModels.ImageManifest("linear", 2, 2, "softmax", "sexual", "violence", null);
        using var host = ScoringTestModels.CpuHost();
        using var classifier = host.OpenUnregistered(manifest, ScoringTestModels.LinearImageModel(weights, bias));
        var input = Enumerable.Range(0, 2 * 12).Select(_ => (float)random.NextDouble()).ToArray();

        using var tensor = OrtValue.CreateTensorValueFromMemory(input, [2, 3, 2, 2]);
        var scores = classifier.Run(["pixels"], [tensor], 2);

        for (var item = 0; item < 2; item++)
        {
            // logits = x · W + b, then softmax, in double precision.
            var logits = new double[3];
            for (var j = 0; j < 3; j++)
            {
                logits[j] = bias[j];
                for (var i = 0; i < 12; i++) logits[j] += input[item * 12 + i] * (double)weights[i * 3 + j];
            }
            var exp = logits.Select(Math.Exp).ToArray();
            for (var j = 0; j < 3; j++) Assert.Equal(exp[j] / exp.Sum(), scores[item * 3 + j], 5);
        }
    }

    [Fact]
    public void Sigmoid_outputs_are_probabilities_per_label()
    {
        var manifest = ScoringTestModels.ImageManifest("channel-mean", 2, 2, "sigmoid", "sexual", "violence", "hate");
        using var host = ScoringTestModels.CpuHost();
        using var classifier = host.OpenUnregistered(manifest, ScoringTestModels.ChannelMeanModel());
        float[] input = [1, 1, 1, 1, -2, -2, -2, -2, 0, 0.5f, 0, 0.5f];

        using var tensor = OrtValue.CreateTensorValueFromMemory(input, [1, 3, 2, 2]);
        var scores = classifier.Run(["pixels"], [tensor], 1);

        Assert.Equal(1 / (1 + Math.Exp(-1)), scores[0], 6);
        Assert.Equal(1 / (1 + Math.Exp(2)), scores[1], 6);
        Assert.Equal(1 / (1 + Math.Exp(-0.25)), scores[2], 6);
    }

    [Fact]
    public void A_manifest_naming_an_input_the_model_lacks_is_refused_at_load()
    {
        var manifest = ScoringTestModels.ImageManifest("channel-mean", 2, 2, "sigmoid", "sexual", "violence", "hate") is var m
            ? m with { Image = m.Image! with { Input = "pixel_values" } }
            : null!;
        using var host = ScoringTestModels.CpuHost();

        var error = Assert.Throws<InvalidOperationException>(() => host.OpenUnregistered(manifest, ScoringTestModels.ChannelMeanModel()));

        Assert.Contains("no input 'pixel_values'", error.Message);
    }

    [Fact]
    public void Configured_for_the_CPU_the_host_says_so()
    {
        using var host = ScoringTestModels.CpuHost();

        Assert.Equal("CPU", host.Provider.Name);
        Assert.False(host.Provider.IsCuda);
    }
}
