using ModerationConsole.Scoring.Manifest;
using ModerationConsole.Scoring.Onnx;
using ModerationConsole.Scoring.Text;
using Onnx;

namespace ModerationConsole.Scoring.Training;

/// <summary>
/// The fastText-style prompt classifier's weights: an embedding per hashed feature bucket (averaged over a prompt's
/// features: the "embedding bag"), then one linear layer and a sigmoid per category (categories are not exclusive:
/// a prompt can be sexual and about a real person).
/// </summary>
public sealed class PromptModel
{
    public PromptModel(TextInput text, IReadOnlyList<string> categories, int dimensions)
    {
        Text = text;
        Categories = categories;
        Dimensions = dimensions;
        Embedding = new float[(long)text.Buckets * dimensions];
        Weights = new float[dimensions * categories.Count];
        Bias = new float[categories.Count];
    }

    public TextInput Text { get; }
    public IReadOnlyList<string> Categories { get; }
    public int Dimensions { get; }
    /// <summary>[buckets, dimensions], row-major.</summary>
    public float[] Embedding { get; }
    /// <summary>[dimensions, categories], row-major.</summary>
    public float[] Weights { get; }
    public float[] Bias { get; }

    /// <summary>The mean of the features' embeddings.</summary>
    public float[] Hidden(IReadOnlyList<int> features)
    {
        var hidden = new float[Dimensions];
        foreach (var f in features)
            for (var d = 0; d < Dimensions; d++) hidden[d] += Embedding[(long)f * Dimensions + d];
        for (var d = 0; d < Dimensions; d++) hidden[d] /= features.Count;
        return hidden;
    }

    /// <summary>Probabilities per category, computed here in C# (training, and the reference the ONNX graph is checked against).</summary>
    public float[] Predict(IReadOnlyList<int> features) => Output(Hidden(features));

    public float[] Output(float[] hidden)
    {
        var output = new float[Categories.Count];
        for (var c = 0; c < output.Length; c++)
        {
            var z = Bias[c];
            for (var d = 0; d < Dimensions; d++) z += hidden[d] * Weights[d * output.Length + c];
            output[c] = 1f / (1f + MathF.Exp(-z));
        }
        return output;
    }

    public float[] Predict(string prompt) => Predict(new PromptFeaturizer(Text).Features(prompt));

    /// <summary>
    /// The same computation as an ONNX graph: Gather (embedding rows of the ids) × mask, summed over the sequence and
    /// divided by the number of real features, then MatMul + Add + Sigmoid. Inputs: ids int64 [batch, length], mask
    /// float [batch, length, 1]; output: scores float [batch, categories].
    /// </summary>
    public byte[] ToOnnx()
    {
        var c = Categories.Count;
        return new OnnxGraph("prompt_fasttext")
            .Input(Text.IdsInput, TensorProto.Types.DataType.Int64, -1, -1)
            .Input(Text.MaskInput, TensorProto.Types.DataType.Float, -1, -1, 1)
            .Initializer("embedding", Embedding, Text.Buckets, Dimensions)
            .Initializer("weights", Weights, Dimensions, c)
            .Initializer("bias", Bias, c)
            .Initializer("sequence_axis", [1L], 1)
            .Initializer("one", [1f], 1)
            .Node("Gather", ["embedding", Text.IdsInput], ["rows"], ("axis", 0L))
            .Node("Mul", ["rows", Text.MaskInput], ["masked"])
            .Node("ReduceSum", ["masked", "sequence_axis"], ["summed"], ("keepdims", 0L))
            .Node("ReduceSum", [Text.MaskInput, "sequence_axis"], ["count"], ("keepdims", 0L))
            .Node("Max", ["count", "one"], ["count_at_least_one"]) // an all-padding row must not divide by zero
            .Node("Div", ["summed", "count_at_least_one"], ["hidden"])
            .Node("MatMul", ["hidden", "weights"], ["logits_no_bias"])
            .Node("Add", ["logits_no_bias", "bias"], ["logits"])
            .Node("Sigmoid", ["logits"], ["scores"])
            .Output("scores", TensorProto.Types.DataType.Float, -1, c)
            .ToBytes();
    }

    public ClassifierManifest Manifest(string name, string version, string description) => new()
    {
        Name = name,
        Version = version,
        Modality = "text",
        Output = "scores",
        Activation = "none",
        Labels = Categories.Select(category => new ManifestLabel(category, category)).ToList(),
        Text = Text,
        Description = description,
    };
}
