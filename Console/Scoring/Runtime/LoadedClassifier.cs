using Microsoft.ML.OnnxRuntime;
using ModerationConsole.Scoring.Manifest;

namespace ModerationConsole.Scoring.Runtime;

/// <summary>
/// One model version with its ONNX Runtime session, created once and shared: <see cref="InferenceSession.Run(RunOptions, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string})"/>
/// may be called from several threads at once.
/// </summary>
public sealed class LoadedClassifier(ClassifierManifest manifest, InferenceSession session, string provider) : IDisposable
{
    private readonly string[] outputNames = [manifest.Output];
    private readonly string[] outputNamesWithEmbedding = manifest.Embedding is { } e && e.Output != manifest.Output ? [manifest.Output, e.Output] : [manifest.Output];

    public ClassifierManifest Manifest => manifest;
    public string Provider => provider;
    public int LabelCount => manifest.Labels.Count;

    /// <summary>
    /// Runs one batch of <paramref name="count"/> items over inputs the caller owns (no copy: the tensors are views over
    /// its pooled buffers) and returns the scores, <paramref name="count"/> × labels, activation applied.
    /// </summary>
    public float[] Run(IReadOnlyCollection<string> inputNames, IReadOnlyCollection<OrtValue> inputs, int count) =>
        Run(inputNames, inputs, count, withEmbeddings: false).Scores;

    /// <summary>
    /// As <see cref="Run(IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, int)"/>, and with
    /// <paramref name="withEmbeddings"/> also the manifest's embedding output (count × dimensions, as the model gives it;
    /// null when the model has none). Both come from the same pass: the embedding is a layer the scores are computed from.
    /// </summary>
    public (float[] Scores, float[]? Embeddings) Run(IReadOnlyCollection<string> inputNames, IReadOnlyCollection<OrtValue> inputs, int count, bool withEmbeddings)
    {
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, inputNames, inputs, withEmbeddings ? outputNamesWithEmbedding : outputNames);
        var labels = LabelCount;
        // A backbone only (no labels): its one output is the embedding.
        if (labels == 0) return ([], withEmbeddings ? Embeddings(outputs[0], count) : null);
        var raw = outputs[0].GetTensorDataAsSpan<float>();
        if (raw.Length != count * labels)
            throw new InvalidOperationException($"{manifest.Source}: output '{manifest.Output}' has {raw.Length} values for {count} items × {labels} labels.");
        var scores = raw.ToArray();
        for (var i = 0; i < count; i++) Activate(scores.AsSpan(i * labels, labels), manifest.Activation);
        return (scores, outputs.Count < 2 ? null : Embeddings(outputs[1], count));
    }

    private float[] Embeddings(OrtValue output, int count)
    {
        var embeddings = output.GetTensorDataAsSpan<float>();
        if (embeddings.Length != count * manifest.Embedding!.Dimensions)
            throw new InvalidOperationException($"{manifest.Source}: output '{manifest.Embedding.Output}' has {embeddings.Length} values for {count} items × {manifest.Embedding.Dimensions} dimensions.");
        return embeddings.ToArray();
    }

    internal static void Activate(Span<float> row, string activation)
    {
        switch (activation)
        {
            case "sigmoid":
                for (var j = 0; j < row.Length; j++) row[j] = 1f / (1f + MathF.Exp(-row[j]));
                break;
            case "softmax":
                var max = float.NegativeInfinity;
                foreach (var v in row) max = MathF.Max(max, v);
                var sum = 0f;
                for (var j = 0; j < row.Length; j++) sum += row[j] = MathF.Exp(row[j] - max); // shifted: no overflow
                for (var j = 0; j < row.Length; j++) row[j] /= sum;
                break;
        }
        // Rounding (or a model's own output) may step outside [0, 1]; item_scores refuses that.
        for (var j = 0; j < row.Length; j++) row[j] = float.IsNaN(row[j]) ? 0f : Math.Clamp(row[j], 0f, 1f);
    }

    public void Dispose() => session.Dispose();
}
