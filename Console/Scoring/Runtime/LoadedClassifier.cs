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

    public ClassifierManifest Manifest => manifest;
    public string Provider => provider;
    public int LabelCount => manifest.Labels.Count;

    /// <summary>
    /// Runs one batch of <paramref name="count"/> items over inputs the caller owns (no copy: the tensors are views over
    /// its pooled buffers) and returns the scores, <paramref name="count"/> × labels, activation applied.
    /// </summary>
    public float[] Run(IReadOnlyCollection<string> inputNames, IReadOnlyCollection<OrtValue> inputs, int count)
    {
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, inputNames, inputs, outputNames);
        var raw = outputs.First().GetTensorDataAsSpan<float>();
        var labels = LabelCount;
        if (raw.Length != count * labels)
            throw new InvalidOperationException($"{manifest.Source}: output '{manifest.Output}' has {raw.Length} values for {count} items × {labels} labels.");
        var scores = raw.ToArray();
        for (var i = 0; i < count; i++) Activate(scores.AsSpan(i * labels, labels), manifest.Activation);
        return scores;
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
