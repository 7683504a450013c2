using ModerationConsole.Policy;
using ModerationConsole.Scoring.Manifest;
using ModerationConsole.Scoring.Onnx;
using Onnx;
using ModerationConsole.Scoring;

namespace ModerationConsole.Bench;

/// <summary>
/// Image classifiers of a real shape with random weights (speed does not depend on them), built in C# so that
/// <c>bench score</c> needs no download and no Python. Both take 224×224×3 ImageNet-normalised input and end in the
/// eight policy categories.
/// </summary>
public static class BenchImageModel
{
    private static readonly TensorProto.Types.DataType Float = TensorProto.Types.DataType.Float;

    /// <summary>
    /// The layer plan of torchvision's MobileNetV2 (width 1.0) as <c>torch.onnx.export</c> writes it in eval mode:
    /// batch norm folded into each convolution's bias, ReLU6 as Clip(0, 6), depthwise convolutions as grouped Conv.
    /// About 0.3 GMAC and 2.2 M weights per image, the size of a real NSFW or abuse image classifier.
    /// </summary>
    public static (ClassifierManifest Manifest, byte[] Onnx) MobileNetV2(int seed = 1)
    {
        var builder = new Builder("bench_mobilenetv2", seed);
        var x = builder.Conv("pixels", 3, 32, kernel: 3, stride: 2, relu6: true);
        var channels = 32;
        // (expansion t, output channels c, repeats n, first stride s), from the MobileNetV2 paper's table 2.
        foreach (var (t, c, n, s) in new[] { (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1) })
        {
            for (var i = 0; i < n; i++)
            {
                var stride = i == 0 ? s : 1;
                var hidden = channels * t;
                var y = t == 1 ? x : builder.Conv(x, channels, hidden, kernel: 1, stride: 1, relu6: true);
                y = builder.Conv(y, hidden, hidden, kernel: 3, stride: stride, relu6: true, groups: hidden);
                y = builder.Conv(y, hidden, c, kernel: 1, stride: 1, relu6: false);
                x = stride == 1 && channels == c ? builder.Add(x, y) : y;
                channels = c;
            }
        }
        x = builder.Conv(x, channels, 1280, kernel: 1, stride: 1, relu6: true);
        return (Manifest("bench-mobilenetv2", "bench-mobilenetv2.onnx", "MobileNetV2-shaped benchmark model with random weights"), builder.Classify(x, 1280));
    }

    /// <summary>
    /// A light CNN: four dense 3×3 stride-2 convolutions (3→32→64→128→256 channels) with ReLU, about 0.19 GMAC that
    /// ONNX Runtime runs several times faster than MobileNetV2 on a CPU. It measures the pipeline's own cost, which a
    /// fast model exposes.
    /// </summary>
    public static (ClassifierManifest Manifest, byte[] Onnx) LightCnn(int seed = 1)
    {
        var builder = new Builder("bench_cnn", seed);
        var x = "pixels";
        var channels = 3;
        foreach (var next in new[] { 32, 64, 128, 256 })
        {
            x = builder.Conv(x, channels, next, kernel: 3, stride: 2, relu6: false, relu: true);
            channels = next;
        }
        return (Manifest("bench-cnn", "bench-cnn.onnx", "benchmark model with random weights"), builder.Classify(x, channels));
    }

    private static ClassifierManifest Manifest(string name, string file, string description) => new()
    {
        Name = name,
        Version = "1",
        Modality = "image",
        File = file,
        Output = "logits",
        Activation = "sigmoid",
        Labels = DefaultPolicy.Categories.Select(c => new ManifestLabel(c.Name, c.Name)).ToList(),
        Image = new ImageInput
        {
            Input = "pixels", Width = 224, Height = 224, Layout = "NCHW",
            Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f],
        },
        Description = description,
    };

    private sealed class Builder
    {
        private readonly OnnxGraph graph;
        private readonly Random random;
        private int layer;
        private bool hasRelu6Bounds;

        public Builder(string name, int seed)
        {
            random = new Random(seed);
            graph = new OnnxGraph(name).Input("pixels", Float, -1, 3, 224, 224);
        }

        /// <summary>A convolution with "same" padding and a bias (the folded batch norm), then ReLU6, ReLU or nothing.</summary>
        public string Conv(string input, int inChannels, int outChannels, int kernel, int stride, bool relu6, int groups = 1, bool relu = false)
        {
            var name = $"conv{layer++}";
            var fanIn = inChannels / groups * kernel * kernel;
            var pad = (long)(kernel / 2);
            graph.Initializer($"{name}_w", HeNormal(outChannels * fanIn, fanIn), outChannels, inChannels / groups, kernel, kernel)
                 .Initializer($"{name}_b", new float[outChannels], outChannels)
                 .Node("Conv", [input, $"{name}_w", $"{name}_b"], [name],
                     ("kernel_shape", new long[] { kernel, kernel }), ("strides", new long[] { stride, stride }),
                     ("pads", new long[] { pad, pad, pad, pad }), ("group", (long)groups));
            if (relu6)
            {
                if (!hasRelu6Bounds)
                {
                    // Clip takes its bounds as inputs from opset 11 on: two scalars shared by every ReLU6.
                    graph.Initializer("relu6_min", [0f]).Initializer("relu6_max", [6f]);
                    hasRelu6Bounds = true;
                }
                graph.Node("Clip", [name, "relu6_min", "relu6_max"], [$"{name}_relu6"]);
                return $"{name}_relu6";
            }
            if (relu)
            {
                graph.Node("Relu", [name], [$"{name}_relu"]);
                return $"{name}_relu";
            }
            return name;
        }

        public string Add(string a, string b)
        {
            var name = $"add{layer++}";
            graph.Node("Add", [a, b], [name]);
            return name;
        }

        /// <summary>Global average pooling and a linear layer to the policy categories; the finished model's bytes.</summary>
        public byte[] Classify(string input, int channels)
        {
            var categories = DefaultPolicy.Categories.Count;
            return graph
                .Node("GlobalAveragePool", [input], ["pooled"])
                .Node("Flatten", ["pooled"], ["features"], ("axis", 1L))
                .Initializer("fc_w", HeNormal(channels * categories, channels), channels, categories)
                .Initializer("fc_b", new float[categories], categories)
                .Node("MatMul", ["features", "fc_w"], ["fc"])
                .Node("Add", ["fc", "fc_b"], ["logits"])
                .Output("logits", Float, -1, categories)
                .ToBytes();
        }

        private float[] HeNormal(int count, int fanIn)
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
}
