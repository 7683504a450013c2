using Microsoft.ML.OnnxRuntime;
using ModerationConsole.Scoring.Text;

namespace ModerationConsole.Scoring.Runtime;

/// <summary>Scores prompts in tensor batches: featurised in C#, then ids and mask handed to the graph as views (no copy).</summary>
public static class TextBatchRunner
{
    public static float[][] Run(LoadedClassifier classifier, IReadOnlyList<string> prompts, int batchSize)
    {
        var text = classifier.Manifest.Text!;
        var featurizer = new PromptFeaturizer(text);
        string[] inputNames = [text.IdsInput, text.MaskInput];
        var results = new float[prompts.Count][];
        for (var start = 0; start < prompts.Count; start += batchSize)
        {
            var count = Math.Min(batchSize, prompts.Count - start);
            var (ids, mask, length) = featurizer.Batch(prompts.Skip(start).Take(count).ToList());
            using var idsTensor = OrtValue.CreateTensorValueFromMemory(ids, [count, length]);
            using var maskTensor = OrtValue.CreateTensorValueFromMemory(mask, [count, length, 1]);
            var scores = classifier.Run(inputNames, [idsTensor, maskTensor], count);
            var labels = classifier.LabelCount;
            for (var i = 0; i < count; i++) results[start + i] = scores.AsSpan(i * labels, labels).ToArray();
        }
        return results;
    }
}
