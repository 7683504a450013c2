using ModerationConsole.Scoring.Manifest;
using ModerationConsole.Scoring.Onnx;
using Onnx;

namespace ModerationConsole.Heads;

/// <summary>
/// Writes trained heads as one ONNX graph, embedding [N, D] → MatMul W [D, K] → Add b [K] → logits [N, K] (the manifest's
/// sigmoid makes them probabilities), so every head of a version runs in one call on the batch's embeddings, on the
/// same execution provider as the backbone, and every console instance serves the same stored bytes.
/// </summary>
public static class HeadExport
{
    public const string Input = "embedding";
    public const string Output = "logits";

    public static byte[] ToOnnx(IReadOnlyList<LinearHead> heads, int dimensions)
    {
        var k = heads.Count;
        var weights = new float[dimensions * k];
        for (var h = 0; h < k; h++)
            for (var d = 0; d < dimensions; d++)
                weights[d * k + h] = heads[h].Weights[d];
        return new OnnxGraph("image-heads")
            .Input(Input, TensorProto.Types.DataType.Float, -1, dimensions)
            .Initializer("weights", weights, dimensions, k)
            .Initializer("bias", heads.Select(h => h.Bias).ToArray(), k)
            .Node("MatMul", [Input, "weights"], ["projected"])
            .Node("Add", ["projected", "bias"], [Output])
            .Output(Output, TensorProto.Types.DataType.Float, -1, k)
            .ToBytes();
    }

    public static ClassifierManifest Manifest(string name, string version, string backbone, int dimensions, IReadOnlyList<LinearHead> heads, string description) =>
        new()
        {
            Name = name,
            Version = version,
            Modality = "head",
            Output = Output,
            Activation = "sigmoid",
            Labels = heads.Select(h => new ManifestLabel(h.Category, h.Category)).ToList(),
            Head = new HeadInput { Backbone = backbone, Input = Input, Dimensions = dimensions },
            Description = description,
        };
}
