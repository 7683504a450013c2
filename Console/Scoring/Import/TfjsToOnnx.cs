using System.Text.Json.Nodes;
using ModerationConsole.Scoring.Manifest;
using ModerationConsole.Scoring.Onnx;

namespace ModerationConsole.Scoring.Import;

/// <summary>What the converter wrote: the graph, and the names and shapes a manifest needs.</summary>
public sealed record ConvertedModel(byte[] Onnx, string Input, int Height, int Width, int Channels, string Output, int Classes,
    EmbeddingOutput? Embedding = null);

/// <summary>
/// Turns a TF.js (Keras) layers model into an ONNX graph (opset 13). The graph keeps Keras' interface, an NHWC float
/// input and the last layer's output, and works in NCHW inside, as ONNX's convolutions do: one Transpose after the
/// input, and one before each Flatten so that the flattened order is Keras'. A batch normalisation that only follows a
/// linear convolution is folded into that convolution's weights and bias; anything else is an ONNX operator of its
/// own. A layer or setting it does not support is an error naming the layer: nothing is skipped silently.
/// </summary>
public static class TfjsToOnnx
{
    /// <summary>The Keras layers this converter knows.</summary>
    public static readonly IReadOnlySet<string> SupportedLayers = new HashSet<string>
    {
        "InputLayer", "Conv2D", "DepthwiseConv2D", "BatchNormalization", "ReLU", "Activation", "ZeroPadding2D", "Add",
        "AveragePooling2D", "MaxPooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "Concatenate", "Flatten",
        "Dense", "Dropout",
    };

    /// <param name="embeddingLayer">A layer returned as well, as the image's embedding (see <see cref="GraphWriter.Finish"/>).</param>
    public static ConvertedModel Convert(TfjsModelFiles files, string graphName, string? embeddingLayer = null)
    {
        var config = files.Topology["model_config"]?["config"] as JsonObject
            ?? throw new InvalidDataException("modelTopology.model_config.config is missing: not a Keras functional model");
        var className = files.Topology["model_config"]?["class_name"]?.GetValue<string>();
        if (className is not ("Model" or "Functional"))
            throw new InvalidDataException($"model class '{className}' is not supported (a functional Model only)");
        var layers = (config["layers"] as JsonArray ?? throw new InvalidDataException("model_config.config.layers is missing"))
            .Select(node => KerasLayer.From(node as JsonObject ?? throw new InvalidDataException("a layer is not an object")))
            .ToList();
        foreach (var layer in layers.Where(l => !SupportedLayers.Contains(l.ClassName)))
            throw new NotSupportedException($"layer '{layer.Name}': {layer.ClassName} is not supported (supported: {string.Join(", ", SupportedLayers.Order())})");

        var inputs = (config["input_layers"] as JsonArray)?.Select(i => i![0]!.GetValue<string>()).ToList() ?? [];
        var outputs = (config["output_layers"] as JsonArray)?.Select(o => o![0]!.GetValue<string>()).ToList() ?? [];
        if (inputs.Count != 1 || outputs.Count != 1)
            throw new NotSupportedException($"models with one input and one output only (this one has {inputs.Count} and {outputs.Count})");

        var writer = new GraphWriter(new OnnxGraph(graphName), TfjsWeights.Read(files), layers);
        foreach (var layer in layers) writer.Add(layer);
        return writer.Finish(inputs[0], outputs[0], embeddingLayer);
    }
}
