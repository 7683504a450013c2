using System.Text.Json.Nodes;
using ModerationConsole.Scoring.Manifest;
using ModerationConsole.Scoring.Onnx;
using Onnx;

namespace ModerationConsole.Scoring.Import;

/// <summary>
/// Writes Keras layers as ONNX nodes, one layer at a time in the config's (topological) order, keeping each layer's
/// output value and its shape without the batch: [C, H, W] for images (NCHW inside the graph), [F] for features.
/// </summary>
internal sealed class GraphWriter
{
    private readonly OnnxGraph graph;
    private readonly IReadOnlyDictionary<string, TfjsWeight> weights;
    private readonly Dictionary<string, (string Value, int[] Shape)> outputs = new(StringComparer.Ordinal);
    /// <summary>Convolutions whose only reader is a batch normalisation, folded into them: conv name → BN layer.</summary>
    private readonly Dictionary<string, KerasLayer> foldedNormalisations = new(StringComparer.Ordinal);
    private readonly HashSet<string> folded = new(StringComparer.Ordinal);
    private bool clipBoundsWritten;
    private (string Name, int Height, int Width, int Channels)? input;

    public GraphWriter(OnnxGraph graph, IReadOnlyDictionary<string, TfjsWeight> weights, IReadOnlyList<KerasLayer> layers)
    {
        this.graph = graph;
        this.weights = weights;
        var readers = layers.SelectMany(l => l.Inbound).GroupBy(n => n).ToDictionary(g => g.Key, g => g.Count());
        var byName = layers.ToDictionary(l => l.Name);
        foreach (var bn in layers.Where(l => l.ClassName == "BatchNormalization" && l.Inbound.Count == 1))
        {
            var source = byName[bn.Inbound[0]];
            if (source.ClassName is "Conv2D" or "DepthwiseConv2D" && (source.String("activation") ?? "linear") == "linear"
                && readers.GetValueOrDefault(source.Name) == 1)
            {
                foldedNormalisations[source.Name] = bn;
                folded.Add(bn.Name);
            }
        }
    }

    public void Add(KerasLayer layer)
    {
        switch (layer.ClassName)
        {
            case "InputLayer": AddInput(layer); break;
            case "Conv2D": AddConvolution(layer, depthwise: false); break;
            case "DepthwiseConv2D": AddConvolution(layer, depthwise: true); break;
            case "BatchNormalization": AddBatchNormalization(layer); break;
            case "ReLU": AddRelu(layer); break;
            case "Activation": Set(layer, Activate(layer, In(layer).Value, In(layer).Shape, layer.String("activation") ?? "linear", layer.Name), In(layer).Shape); break;
            case "ZeroPadding2D": AddZeroPadding(layer); break;
            case "Add": AddSum(layer); break;
            case "Concatenate": AddConcatenate(layer); break;
            case "AveragePooling2D": AddPooling(layer, "AveragePool"); break;
            case "MaxPooling2D": AddPooling(layer, "MaxPool"); break;
            case "GlobalAveragePooling2D": AddGlobalPooling(layer, "GlobalAveragePool"); break;
            case "GlobalMaxPooling2D": AddGlobalPooling(layer, "GlobalMaxPool"); break;
            case "Flatten": AddFlatten(layer); break;
            case "Dense": AddDense(layer); break;
            case "Dropout": outputs[layer.Name] = In(layer); break; // inference: identity
            default: throw new NotSupportedException($"layer '{layer.Name}': {layer.ClassName} is not supported");
        }
    }

    /// <param name="embeddingLayer">A layer whose output (a vector per image) the graph also returns, named after the layer:
    /// the features the console stores per image and trains its own heads on.</param>
    public ConvertedModel Finish(string inputLayer, string outputLayer, string? embeddingLayer = null)
    {
        if (input is not { } x || x.Name != inputLayer) throw new InvalidDataException($"the input layer '{inputLayer}' was not written");
        var classes = WriteOutput(outputLayer);
        var embedding = embeddingLayer is null ? null : new EmbeddingOutput(embeddingLayer, WriteOutput(embeddingLayer));
        return new ConvertedModel(graph.ToBytes(), x.Name, x.Height, x.Width, x.Channels, outputLayer, classes, embedding);
    }

    private int WriteOutput(string layer)
    {
        var (value, shape) = outputs.GetValueOrDefault(layer);
        if (value is null) throw new InvalidDataException($"the output layer '{layer}' was not written");
        if (shape.Length != 1) throw new NotSupportedException($"the output '{layer}' has shape [{string.Join(", ", shape)}]; a vector per image is expected");
        if (value != layer) graph.Node("Identity", [value], [layer]);
        graph.Output(layer, TensorProto.Types.DataType.Float, -1, shape[0]);
        return shape[0];
    }

    private void AddInput(KerasLayer layer)
    {
        if (input is not null) throw new NotSupportedException("more than one input layer");
        var dims = (layer.Config["batch_input_shape"] as JsonArray)?.Skip(1).Select(d => d is null ? -1 : (int)d.GetValue<double>()).ToArray();
        if (dims is not [> 0 and var h, > 0 and var w, > 0 and var c])
            throw new NotSupportedException($"input '{layer.Name}': an image of fixed height, width and channels is expected");
        if ((layer.String("dtype") ?? "float32") != "float32") throw new NotSupportedException($"input '{layer.Name}': float32 only");
        graph.Input(layer.Name, TensorProto.Types.DataType.Float, -1, h, w, c);
        graph.Node("Transpose", [layer.Name], [$"{layer.Name}/nchw"], ("perm", new long[] { 0, 3, 1, 2 }));
        input = (layer.Name, h, w, c);
        outputs[layer.Name] = ($"{layer.Name}/nchw", [c, h, w]);
    }

    private void AddConvolution(KerasLayer layer, bool depthwise)
    {
        layer.RequireChannelsLast();
        var (x, shape) = Image(layer);
        var kernel = Weight(layer, depthwise ? "depthwise_kernel" : "kernel");
        if (kernel.Shape is not [var kh, var kw, var inChannels, var last] || inChannels != shape[0])
            throw new InvalidDataException($"layer '{layer.Name}': kernel shape [{string.Join(", ", kernel.Shape)}] does not fit {shape[0]} input channels");
        var outChannels = depthwise ? inChannels * last : last;
        // Keras [kh, kw, in, out] (depthwise: [kh, kw, in, multiplier]) → ONNX [out, in / group, kh, kw].
        var w = new float[outChannels * (depthwise ? 1 : inChannels) * kh * kw];
        for (var y = 0; y < kh; y++)
            for (var xk = 0; xk < kw; xk++)
                for (var i = 0; i < inChannels; i++)
                    for (var j = 0; j < last; j++)
                    {
                        var k = kernel.Values[((y * kw + xk) * inChannels + i) * last + j];
                        var target = depthwise ? ((i * last + j) * kh + y) * kw + xk : (((j * inChannels) + i) * kh + y) * kw + xk;
                        w[target] = k;
                    }
        var bias = layer.Flag("use_bias", true) ? (float[])Weight(layer, "bias").Values.Clone() : new float[outChannels];
        var name = layer.Name;
        if (foldedNormalisations.TryGetValue(layer.Name, out var bn))
        {
            FoldInto(bn, w, bias, outChannels);
            name = bn.Name;
        }

        var (sh, sw) = layer.Pair("strides", (1, 1));
        var (dh, dw) = layer.Pair("dilation_rate", (1, 1));
        var (height, top, bottom) = Padded(layer, shape[1], kh, sh, dh);
        var (width, left, right) = Padded(layer, shape[2], kw, sw, dw);
        graph.Initializer($"{name}/W", w, outChannels, depthwise ? 1 : inChannels, kh, kw)
             .Initializer($"{name}/B", bias, outChannels);
        var activation = layer.String("activation") ?? "linear";
        var convOut = activation == "linear" ? name : $"{name}/conv";
        graph.Node("Conv", [x, $"{name}/W", $"{name}/B"], [convOut],
            ("kernel_shape", new long[] { kh, kw }), ("strides", new long[] { sh, sw }), ("dilations", new long[] { dh, dw }),
            ("pads", new long[] { top, left, bottom, right }), ("group", depthwise ? (long)inChannels : 1L));
        int[] outShape = [outChannels, height, width];
        var value = Activate(layer, convOut, outShape, activation, name);
        Set(layer, value, outShape);
        if (name != layer.Name) outputs[name] = (value, outShape);
    }

    /// <summary>y = γ (x − μ) / √(σ² + ε) + β per channel, folded: W·s and (b − μ)·s + β with s = γ / √(σ² + ε).</summary>
    private void FoldInto(KerasLayer bn, float[] w, float[] bias, int channels)
    {
        var (gamma, beta, mean, variance, epsilon) = Normalisation(bn, channels);
        var perChannel = w.Length / channels;
        for (var c = 0; c < channels; c++)
        {
            var s = gamma[c] / Math.Sqrt(variance[c] + epsilon);
            for (var k = 0; k < perChannel; k++) w[c * perChannel + k] = (float)(w[c * perChannel + k] * s);
            bias[c] = (float)((bias[c] - mean[c]) * s + beta[c]);
        }
    }

    private void AddBatchNormalization(KerasLayer layer)
    {
        if (folded.Contains(layer.Name)) return; // written with its convolution
        var (x, shape) = In(layer);
        var axis = (int)(layer.Number("axis") ?? -1);
        if (shape.Length == 3 && axis is not (-1 or 3) || shape.Length == 1 && axis is not (-1 or 1))
            throw new NotSupportedException($"layer '{layer.Name}': normalisation over axis {axis} (the channels only)");
        var channels = shape[0];
        var (gamma, beta, mean, variance, epsilon) = Normalisation(layer, channels);
        var name = layer.Name;
        graph.Initializer($"{name}/scale", gamma.Select(v => (float)v).ToArray(), channels)
             .Initializer($"{name}/bias", beta.Select(v => (float)v).ToArray(), channels)
             .Initializer($"{name}/mean", mean.Select(v => (float)v).ToArray(), channels)
             .Initializer($"{name}/var", variance.Select(v => (float)v).ToArray(), channels);
        graph.Node("BatchNormalization", [x, $"{name}/scale", $"{name}/bias", $"{name}/mean", $"{name}/var"], [name], ("epsilon", (float)epsilon));
        Set(layer, name, shape);
    }

    private (double[] Gamma, double[] Beta, double[] Mean, double[] Variance, double Epsilon) Normalisation(KerasLayer bn, int channels)
    {
        double[] Read(string part, bool present, double otherwise)
        {
            if (!present) return Enumerable.Repeat(otherwise, channels).ToArray();
            var weight = Weight(bn, part);
            return weight.Values.Length == channels ? weight.Values.Select(v => (double)v).ToArray()
                : throw new InvalidDataException($"layer '{bn.Name}': {part} has {weight.Values.Length} values for {channels} channels");
        }
        return (Read("gamma", bn.Flag("scale", true), 1), Read("beta", bn.Flag("center", true), 0),
            Read("moving_mean", true, 0), Read("moving_variance", true, 1), bn.Number("epsilon") ?? 1e-3);
    }

    private void AddRelu(KerasLayer layer)
    {
        var (x, shape) = In(layer);
        var max = layer.Number("max_value");
        var slope = layer.Number("negative_slope") ?? 0;
        var threshold = layer.Number("threshold") ?? 0;
        if (threshold != 0) throw new NotSupportedException($"layer '{layer.Name}': ReLU with a threshold is not supported");
        if (slope != 0)
        {
            if (max is not null) throw new NotSupportedException($"layer '{layer.Name}': ReLU with both max_value and negative_slope is not supported");
            graph.Node("LeakyRelu", [x], [layer.Name], ("alpha", (float)slope));
        }
        else if (max is { } limit)
        {
            graph.Initializer($"{layer.Name}/min", [0f]).Initializer($"{layer.Name}/max", [(float)limit]);
            graph.Node("Clip", [x, $"{layer.Name}/min", $"{layer.Name}/max"], [layer.Name]);
        }
        else
        {
            graph.Node("Relu", [x], [layer.Name]);
        }
        Set(layer, layer.Name, shape);
    }

    /// <summary>Keras' activation functions by name; the value returned is the activated output.</summary>
    private string Activate(KerasLayer layer, string x, int[] shape, string activation, string name)
    {
        switch (activation)
        {
            case "linear": return x == name ? x : Identity(x, name);
            case "relu": graph.Node("Relu", [x], [name]); break;
            case "relu6":
                if (!clipBoundsWritten) graph.Initializer("relu6/min", [0f]).Initializer("relu6/max", [6f]);
                clipBoundsWritten = true;
                graph.Node("Clip", [x, "relu6/min", "relu6/max"], [name]);
                break;
            case "sigmoid": graph.Node("Sigmoid", [x], [name]); break;
            case "tanh": graph.Node("Tanh", [x], [name]); break;
            case "elu": graph.Node("Elu", [x], [name], ("alpha", 1f)); break;
            case "softplus": graph.Node("Softplus", [x], [name]); break;
            case "softmax": graph.Node("Softmax", [x], [name], ("axis", shape.Length == 1 ? -1L : 1L)); break;
            default: throw new NotSupportedException($"layer '{layer.Name}': activation '{activation}' is not supported");
        }
        return name;
    }

    private string Identity(string x, string name)
    {
        graph.Node("Identity", [x], [name]);
        return name;
    }

    private void AddZeroPadding(KerasLayer layer)
    {
        layer.RequireChannelsLast();
        var (x, shape) = Image(layer);
        var (top, bottom, left, right) = layer.Config["padding"] switch
        {
            JsonArray { Count: 2 } pair when pair[0] is JsonArray rows && pair[1] is JsonArray columns =>
                (Int(rows[0]), Int(rows[1]), Int(columns[0]), Int(columns[1])),
            JsonArray { Count: 2 } pair => (Int(pair[0]), Int(pair[0]), Int(pair[1]), Int(pair[1])),
            JsonValue all => (Int(all), Int(all), Int(all), Int(all)),
            var other => throw new InvalidDataException($"layer '{layer.Name}': padding {other?.ToJsonString()} is not understood"),
        };
        graph.Initializer($"{layer.Name}/pads", new long[] { 0, 0, top, left, 0, 0, bottom, right }, 8);
        graph.Node("Pad", [x, $"{layer.Name}/pads"], [layer.Name]);
        Set(layer, layer.Name, [shape[0], shape[1] + top + bottom, shape[2] + left + right]);

        static int Int(JsonNode? n) => (int)n!.GetValue<double>();
    }

    private void AddSum(KerasLayer layer)
    {
        var sources = layer.Inbound.Select(Read).ToList();
        if (sources.Count < 2 || sources.Any(s => !s.Shape.SequenceEqual(sources[0].Shape)))
            throw new NotSupportedException($"layer '{layer.Name}': Add of inputs of the same shape only");
        graph.Node(sources.Count == 2 ? "Add" : "Sum", sources.Select(s => s.Value).ToArray(), [layer.Name]);
        Set(layer, layer.Name, sources[0].Shape);
    }

    private void AddConcatenate(KerasLayer layer)
    {
        var sources = layer.Inbound.Select(Read).ToList();
        var rank = sources[0].Shape.Length;
        var axis = (int)(layer.Number("axis") ?? -1);
        // Keras axes count the batch and are NHWC; ours are NCHW: channels are axis 1, height 2, width 3.
        var ours = rank == 3 ? axis switch { -1 or 3 => 1, 1 => 2, 2 => 3, _ => -9 } : axis is -1 or 1 ? 1 : -9;
        if (ours < 0 || sources.Any(s => s.Shape.Length != rank))
            throw new NotSupportedException($"layer '{layer.Name}': Concatenate on axis {axis} of rank-{rank + 1} inputs is not supported");
        var shape = (int[])sources[0].Shape.Clone();
        shape[ours - 1] = sources.Sum(s => s.Shape[ours - 1]);
        graph.Node("Concat", sources.Select(s => s.Value).ToArray(), [layer.Name], ("axis", (long)ours));
        Set(layer, layer.Name, shape);
    }

    private void AddPooling(KerasLayer layer, string op)
    {
        layer.RequireChannelsLast();
        var (x, shape) = Image(layer);
        var (ph, pw) = layer.Pair("pool_size", (2, 2));
        var (sh, sw) = layer.Config["strides"] is null ? (ph, pw) : layer.Pair("strides", (ph, pw));
        var (height, top, bottom) = Padded(layer, shape[1], ph, sh, 1);
        var (width, left, right) = Padded(layer, shape[2], pw, sw, 1);
        var attributes = new List<(string, object)>
        {
            ("kernel_shape", new long[] { ph, pw }), ("strides", new long[] { sh, sw }), ("pads", new long[] { top, left, bottom, right }),
        };
        // TensorFlow averages over the window's pixels inside the image only.
        if (op == "AveragePool") attributes.Add(("count_include_pad", 0L));
        graph.Node(op, [x], [layer.Name], [.. attributes]);
        Set(layer, layer.Name, [shape[0], height, width]);
    }

    private void AddGlobalPooling(KerasLayer layer, string op)
    {
        layer.RequireChannelsLast();
        if (layer.Flag("keepdims", false)) throw new NotSupportedException($"layer '{layer.Name}': keepdims is not supported");
        var (x, shape) = Image(layer);
        graph.Node(op, [x], [$"{layer.Name}/pooled"]);
        graph.Node("Flatten", [$"{layer.Name}/pooled"], [layer.Name], ("axis", 1L));
        Set(layer, layer.Name, [shape[0]]);
    }

    private void AddFlatten(KerasLayer layer)
    {
        layer.RequireChannelsLast();
        var (x, shape) = In(layer);
        if (shape.Length == 1) { Set(layer, Identity(x, layer.Name), shape); return; }
        // Keras flattens NHWC: bring the channels last again first.
        graph.Node("Transpose", [x], [$"{layer.Name}/nhwc"], ("perm", new long[] { 0, 2, 3, 1 }));
        graph.Node("Flatten", [$"{layer.Name}/nhwc"], [layer.Name], ("axis", 1L));
        Set(layer, layer.Name, [shape.Aggregate(1, (a, b) => a * b)]);
    }

    private void AddDense(KerasLayer layer)
    {
        var (x, shape) = In(layer);
        var kernel = Weight(layer, "kernel");
        if (shape.Length != 1 || kernel.Shape is not [var inputs, var units] || inputs != shape[0])
            throw new NotSupportedException($"layer '{layer.Name}': Dense over [{string.Join(", ", shape)}] with kernel [{string.Join(", ", kernel.Shape)}] (a flat input is expected)");
        var name = layer.Name;
        var activation = layer.String("activation") ?? "linear";
        var product = $"{name}/matmul";
        graph.Initializer($"{name}/W", kernel.Values, inputs, units).Node("MatMul", [x, $"{name}/W"], [product]);
        var linear = activation == "linear" ? name : $"{name}/linear";
        if (layer.Flag("use_bias", true))
            graph.Initializer($"{name}/B", Weight(layer, "bias").Values, units).Node("Add", [product, $"{name}/B"], [linear]);
        else
            graph.Node("Identity", [product], [linear]);
        Set(layer, Activate(layer, linear, [units], activation, name), [units]);
    }

    /// <summary>TensorFlow's padding: <c>valid</c> none; <c>same</c> ⌈in / stride⌉ outputs, the extra row or column at the end.</summary>
    private static (int Size, int Before, int After) Padded(KerasLayer layer, int size, int kernel, int stride, int dilation)
    {
        var effective = (kernel - 1) * dilation + 1;
        switch (layer.String("padding") ?? "valid")
        {
            case "valid":
                if (size < effective) throw new InvalidDataException($"layer '{layer.Name}': a {kernel}-wide window does not fit {size} pixels");
                return ((size - effective) / stride + 1, 0, 0);
            case "same":
                var output = (size + stride - 1) / stride;
                var total = Math.Max((output - 1) * stride + effective - size, 0);
                return (output, total / 2, total - total / 2);
            case var other:
                throw new NotSupportedException($"layer '{layer.Name}': padding '{other}' is not supported");
        }
    }

    private TfjsWeight Weight(KerasLayer layer, string part) =>
        weights.GetValueOrDefault($"{layer.Name}/{part}")
        ?? throw new InvalidDataException($"layer '{layer.Name}': weight '{layer.Name}/{part}' is not in the weights manifest");

    private (string Value, int[] Shape) Read(string layerName) =>
        outputs.TryGetValue(layerName, out var output) ? output
            : throw new InvalidDataException($"layer '{layerName}' is read before it is written (the config is not in order)");

    private (string Value, int[] Shape) In(KerasLayer layer) =>
        layer.Inbound.Count == 1 ? Read(layer.Inbound[0]) : throw new InvalidDataException($"layer '{layer.Name}' has {layer.Inbound.Count} inputs; one is expected");

    private (string Value, int[] Shape) Image(KerasLayer layer)
    {
        var source = In(layer);
        return source.Shape.Length == 3 ? source : throw new InvalidDataException($"layer '{layer.Name}' needs an image input");
    }

    private void Set(KerasLayer layer, string value, int[] shape) => outputs[layer.Name] = (value, shape);
}
