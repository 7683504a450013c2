using Microsoft.ML;
using Microsoft.ML.Data;

namespace ModerationConsole.Heads;

/// <summary>A trained head, its figures, and ML.NET's own probability for each held-out example (in the split's order).</summary>
public sealed record TrainedHead(LinearHead Head, HeadCategoryMetrics Metrics, IReadOnlyList<float> HeldOutProbabilities);

/// <summary>A head's weights for one category: probability = sigmoid(Weights · x + Bias), x the normalised embedding.</summary>
public sealed record LinearHead(string Category, float[] Weights, float Bias)
{
    public float Probability(ReadOnlySpan<float> vector) =>
        1f / (1f + MathF.Exp(-(System.Numerics.Tensors.TensorPrimitives.Dot(Weights, vector) + Bias)));
}

/// <summary>
/// Trains one category's head with ML.NET's L-BFGS logistic regression (L2-regularised: 1280 features, a few hundred
/// labels) and measures it on the held-out split with ML.NET's evaluator, plus the precision at the policy's threshold
/// and a calibration table. The calibrator ML.NET fits is folded into the linear weights, so the ONNX head and ML.NET
/// give the same probability.
/// </summary>
public static class HeadTrainer
{
    public const int CalibrationBins = 10;
    /// <summary>About a tenth of a typical dimension's spread in a 1280-d unit vector (1/√1280 ≈ 0.028).</summary>
    private const float MinDeviation = 0.003f;

    private sealed class Row
    {
        public bool Label { get; set; }
        public float[] Features { get; set; } = [];
    }

    private sealed class Scored
    {
        public bool Label { get; set; }
        public float Probability { get; set; }
    }

    /// <param name="threshold">The score at which the policy acts on the category (its auto-block score, else its review score).</param>
    public static TrainedHead Train(CategorySplit split, int dimensions, double threshold, string thresholdMeaning, bool alwaysHuman)
    {
        var ml = new MLContext(seed: 1);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dimensions);
        // Standardised per dimension on the training part: the pooled features are all positive and small after the
        // L2 normalisation, which leaves the regression badly conditioned (good ranking, timid probabilities).
        var (mean, scale) = Standardisation(split.Training, dimensions);
        // Materialised once: L-BFGS reads the data many times over.
        IDataView Load(IEnumerable<(float[] Vector, bool Label)> rows) =>
            ml.Data.LoadFromEnumerable(rows.Select(r => new Row { Label = r.Label, Features = Standardise(r.Vector, mean, scale) }).ToList(), schema);

        var trainer = ml.BinaryClassification.Trainers.LbfgsLogisticRegression(nameof(Row.Label), nameof(Row.Features), l2Regularization: 1f);
        var model = trainer.Fit(Load(split.Training));
        var linear = model.Model.SubModel;
        var calibrator = model.Model.Calibrator;
        // Platt: p = 1 / (1 + exp(slope·z + offset)), z = w·((x − mean)·scale) + b; folded into p = sigmoid(w'·x + b').
        var slope = (float)calibrator.Slope;
        var offset = (float)calibrator.Offset;
        var weights = new float[dimensions];
        var bias = linear.Bias;
        for (var d = 0; d < dimensions; d++)
        {
            weights[d] = -slope * linear.Weights[d] * scale[d];
            bias -= linear.Weights[d] * scale[d] * mean[d];
        }
        var head = new LinearHead(split.Category, weights, -(slope * bias + offset));

        var predictions = model.Transform(Load(split.HeldOut));
        var evaluated = ml.BinaryClassification.Evaluate(predictions, nameof(Row.Label));
        var scored = ml.Data.CreateEnumerable<Scored>(predictions, reuseRowObject: false).ToList();
        var (precisionAt, recallAt) = PrecisionRecallAt(scored, threshold);
        var metrics = new HeadCategoryMetrics(split.Category,
            TrainingPositives: split.Training.Count(r => r.Label), TrainingNegatives: split.Training.Count(r => !r.Label),
            HeldOutPositives: split.HeldOut.Count(r => r.Label), HeldOutNegatives: split.HeldOut.Count(r => !r.Label),
            RocAuc: evaluated.AreaUnderRocCurve, Precision: Finite(evaluated.PositivePrecision), Recall: Finite(evaluated.PositiveRecall),
            Threshold: threshold, ThresholdMeaning: thresholdMeaning, PrecisionAtThreshold: precisionAt, RecallAtThreshold: recallAt,
            Moderators: split.Moderators, From: split.From, To: split.To,
            Calibration: Calibration(scored), AlwaysHuman: alwaysHuman);
        return new TrainedHead(head, metrics, scored.Select(s => s.Probability).ToList());
    }

    private static (float[] Mean, float[] Scale) Standardisation(IReadOnlyList<(float[] Vector, bool Label)> rows, int dimensions)
    {
        var mean = new float[dimensions];
        var scale = new float[dimensions];
        foreach (var (vector, _) in rows) System.Numerics.Tensors.TensorPrimitives.Add(mean, vector, mean);
        System.Numerics.Tensors.TensorPrimitives.Divide(mean, Math.Max(1, rows.Count), mean);
        foreach (var (vector, _) in rows)
            for (var d = 0; d < dimensions; d++) scale[d] += (vector[d] - mean[d]) * (vector[d] - mean[d]);
        for (var d = 0; d < dimensions; d++)
        {
            var deviation = MathF.Sqrt(scale[d] / Math.Max(1, rows.Count));
            // A dimension that barely varies would be magnified into noise: its scale is capped.
            scale[d] = 1 / MathF.Max(deviation, MinDeviation);
        }
        return (mean, scale);
    }

    private static float[] Standardise(float[] vector, float[] mean, float[] scale)
    {
        var standardised = new float[vector.Length];
        for (var d = 0; d < vector.Length; d++) standardised[d] = (vector[d] - mean[d]) * scale[d];
        return standardised;
    }

    private static double Finite(double value) => double.IsFinite(value) ? value : 0;

    private static (double Precision, double Recall) PrecisionRecallAt(IReadOnlyList<Scored> scored, double threshold)
    {
        var flagged = scored.Where(s => s.Probability >= threshold).ToList();
        var positives = scored.Count(s => s.Label);
        var truePositives = flagged.Count(s => s.Label);
        return (flagged.Count == 0 ? 0 : (double)truePositives / flagged.Count, positives == 0 ? 0 : (double)truePositives / positives);
    }

    /// <summary>Held-out items in ten bands of predicted probability: the mean prediction beside the share that were positive.</summary>
    private static IReadOnlyList<CalibrationBin> Calibration(IReadOnlyList<Scored> scored) =>
        scored.GroupBy(s => Math.Min(CalibrationBins - 1, (int)(s.Probability * CalibrationBins)))
            .OrderBy(g => g.Key)
            .Select(g => new CalibrationBin(g.Average(s => (double)s.Probability), g.Average(s => s.Label ? 1.0 : 0.0), g.Count()))
            .ToList();
}
