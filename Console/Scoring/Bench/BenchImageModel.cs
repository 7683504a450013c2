using ModerationConsole.Policy;
using ModerationConsole.Scoring.Manifest;
using ModerationConsole.Scoring.Onnx;
using Onnx;

namespace ModerationConsole.Scoring.Bench;

/// <summary>
/// A small image classifier of a real shape, with random weights (speed does not depend on them): four 3×3 stride-2
/// convolutions (3→32→64→128→256 channels) with ReLU on 224×224×3, global average pooling and a linear layer to the
/// eight policy categories: about 0.19 GMAC per image, the order of MobileNetV2's 0.3.
/// </summary>
public static class BenchImageModel
{
    public static (ClassifierManifest Manifest, byte[] Onnx) Create(int seed = 1)
    {
        var random = new Random(seed);
        var graph = new OnnxGraph("bench_cnn").Input("pixels", TensorProto.Types.DataType.Float, -1, 3, 224, 224);
        var input = "pixels";
        var channels = 3;
        foreach (var (outChannels, i) in new[] { 32, 64, 128, 256 }.Select((c, i) => (c, i)))
        {
            graph.Initializer($"conv{i}_w", HeNormal(random, outChannels * channels * 9, channels * 9), outChannels, channels, 3, 3)
                 .Initializer($"conv{i}_b", new float[outChannels], outChannels)
                 .Node("Conv", [input, $"conv{i}_w", $"conv{i}_b"], [$"conv{i}"],
                     ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 }))
                 .Node("Relu", [$"conv{i}"], [$"relu{i}"]);
            input = $"relu{i}";
            channels = outChannels;
        }
        var categories = DefaultPolicy.Categories.Select(c => c.Name).ToList();
        var bytes = graph
            .Node("GlobalAveragePool", [input], ["pooled"])
            .Node("Flatten", ["pooled"], ["features"], ("axis", 1L))
            .Initializer("fc_w", HeNormal(random, channels * categories.Count, channels), channels, categories.Count)
            .Initializer("fc_b", new float[categories.Count], categories.Count)
            .Node("MatMul", ["features", "fc_w"], ["fc"])
            .Node("Add", ["fc", "fc_b"], ["logits"])
            .Output("logits", TensorProto.Types.DataType.Float, -1, categories.Count)
            .ToBytes();
        var manifest = new ClassifierManifest
        {
            Name = "bench-cnn",
            Version = "1",
            Modality = "image",
            File = "bench-cnn.onnx",
            Output = "logits",
            Activation = "sigmoid",
            Labels = categories.Select(c => new ManifestLabel(c, c)).ToList(),
            Image = new ImageInput
            {
                Input = "pixels", Width = 224, Height = 224, Layout = "NCHW",
                Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f],
            },
            Description = "benchmark model with random weights",
        };
        return (manifest, bytes);
    }

    private static float[] HeNormal(Random random, int count, int fanIn)
    {
        var scale = Math.Sqrt(2.0 / fanIn);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            // Box–Muller: a normal sample from two uniform ones.
            var normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            values[i] = (float)(normal * scale);
        }
        return values;
    }
}
