using ModerationConsole.Scoring.Manifest;
using ModerationConsole.Scoring.Text;

namespace ModerationConsole.Scoring.Training;

/// <summary>Settings of one training run; the defaults are what the console uses.</summary>
public sealed record TrainingSettings
{
    public int Buckets { get; init; } = 1 << 16;
    public int Dimensions { get; init; } = 16;
    public int Epochs { get; init; } = 30;
    public float LearningRate { get; init; } = 0.5f;
    public int Seed { get; init; } = 7;
}

/// <summary>
/// Trains <see cref="PromptModel"/> as fastText does: plain SGD, one example at a time, the learning rate falling
/// linearly to zero, binary cross-entropy per category. Single-threaded with a fixed seed, so the same data always
/// gives the same weights (a version can be re-created and checked).
/// </summary>
public static class PromptTrainer
{
    /// <summary>
    /// The policy categories the examples teach, in policy order: a category no prompt is labelled with (such as
    /// <c>suggestive</c>, which only images show) cannot be learnt, and a constant score for it would only mislead.
    /// </summary>
    public static IReadOnlyList<string> LearnableCategories(IEnumerable<string> policyCategories, IEnumerable<PromptExample> examples)
    {
        var labelled = examples.SelectMany(e => e.Labels).ToHashSet(StringComparer.Ordinal);
        return policyCategories.Where(labelled.Contains).ToList();
    }

    public static PromptModel Train(IReadOnlyList<PromptExample> examples, IReadOnlyList<string> categories, TrainingSettings settings)
    {
        var text = new TextInput { IdsInput = "ids", MaskInput = "mask", Buckets = settings.Buckets };
        var model = new PromptModel(text, categories, settings.Dimensions);
        var featurizer = new PromptFeaturizer(text);
        var random = new Random(settings.Seed);
        var bound = 1f / settings.Dimensions;
        for (var i = 0; i < model.Embedding.Length; i++) model.Embedding[i] = (float)(random.NextDouble() * 2 - 1) * bound;

        var data = examples.Select(e => (Features: featurizer.Features(e.Prompt), Targets: categories.Select(c => e.Labels.Contains(c) ? 1f : 0f).ToArray())).ToArray();
        var order = Enumerable.Range(0, data.Length).ToArray();
        var steps = (long)settings.Epochs * data.Length;
        var step = 0L;
        int dims = settings.Dimensions, outputs = categories.Count;
        var gradHidden = new float[dims];
        var error = new float[outputs];
        for (var epoch = 0; epoch < settings.Epochs; epoch++)
        {
            random.Shuffle(order);
            foreach (var index in order)
            {
                var rate = settings.LearningRate * (1f - (float)step++ / steps);
                var (features, targets) = data[index];
                var hidden = model.Hidden(features);
                var predicted = model.Output(hidden);
                for (var c = 0; c < outputs; c++) error[c] = predicted[c] - targets[c]; // d(BCE)/d(logit)
                Array.Clear(gradHidden);
                for (var d = 0; d < dims; d++)
                {
                    for (var c = 0; c < outputs; c++)
                    {
                        gradHidden[d] += model.Weights[d * outputs + c] * error[c];
                        model.Weights[d * outputs + c] -= rate * hidden[d] * error[c];
                    }
                }
                for (var c = 0; c < outputs; c++) model.Bias[c] -= rate * error[c];
                // The mean spreads the hidden gradient equally over the prompt's features.
                var share = rate / features.Count;
                foreach (var f in features)
                    for (var d = 0; d < dims; d++) model.Embedding[(long)f * dims + d] -= share * gradHidden[d];
            }
        }
        return model;
    }

    /// <summary>Precision and recall per category at the 0.5 threshold, using <paramref name="predict"/> for the scores.</summary>
    public static IReadOnlyList<CategoryMetrics> Evaluate(IReadOnlyList<PromptExample> heldOut, IReadOnlyList<string> categories, Func<string, float[]> predict,
        string? source = null)
    {
        var predictions = heldOut.Select(e => predict(e.Prompt)).ToArray();
        return categories.Select((category, c) =>
        {
            int positives = 0, truePositives = 0, falsePositives = 0;
            for (var i = 0; i < heldOut.Count; i++)
            {
                var actual = heldOut[i].Labels.Contains(category);
                var flagged = predictions[i][c] >= 0.5f;
                if (actual) positives++;
                if (flagged && actual) truePositives++;
                if (flagged && !actual) falsePositives++;
            }
            var precision = truePositives + falsePositives == 0 ? 0 : (double)truePositives / (truePositives + falsePositives);
            var recall = positives == 0 ? 0 : (double)truePositives / positives;
            return new CategoryMetrics(category, positives, truePositives, falsePositives, Math.Round(precision, 4), Math.Round(recall, 4),
                source, heldOut.Count);
        }).ToList();
    }
}
