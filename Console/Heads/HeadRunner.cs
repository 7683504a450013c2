using Microsoft.ML.OnnxRuntime;
using ModerationConsole.Scoring.Runtime;

namespace ModerationConsole.Heads;

/// <summary>Runs a head over embeddings already in memory: one tensor of items × dimensions, one inference call.</summary>
public static class HeadRunner
{
    /// <summary>Label scores per vector (each row of the result has the head's labels, activation applied).</summary>
    public static float[][] Run(LoadedClassifier head, IReadOnlyList<float[]> vectors)
    {
        if (vectors.Count == 0) return [];
        var input = head.Manifest.Head ?? throw new InvalidOperationException($"{head.Manifest.Source} is not a head");
        var buffer = new float[vectors.Count * input.Dimensions];
        for (var i = 0; i < vectors.Count; i++)
        {
            if (vectors[i].Length != input.Dimensions)
                throw new InvalidOperationException($"{head.Manifest.Source} reads {input.Dimensions} dimensions; an embedding has {vectors[i].Length}");
            vectors[i].CopyTo(buffer, i * input.Dimensions);
        }
        using var tensor = OrtValue.CreateTensorValueFromMemory(buffer, [vectors.Count, input.Dimensions]);
        var scores = head.Run([input.Input], [tensor], vectors.Count);
        var labels = head.LabelCount;
        return Enumerable.Range(0, vectors.Count).Select(i => scores.AsSpan(i * labels, labels).ToArray()).ToArray();
    }
}
