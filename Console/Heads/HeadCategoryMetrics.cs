namespace ModerationConsole.Heads;

/// <summary>A band of held-out predictions: their mean probability and the share of them moderators blocked.</summary>
public sealed record CalibrationBin(double Predicted, double Observed, int Count);

/// <summary>
/// What one category's head learnt from and how it did on the held-out split (<see cref="StratifiedSplit"/>), as the
/// Classifiers page shows it. <see cref="Skipped"/> says why a category got no head (too few labels).
/// </summary>
public sealed record HeadCategoryMetrics(string Category, int TrainingPositives, int TrainingNegatives, int HeldOutPositives, int HeldOutNegatives,
    double RocAuc, double Precision, double Recall, double Threshold, string ThresholdMeaning, double PrecisionAtThreshold, double RecallAtThreshold,
    int Moderators, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<CalibrationBin> Calibration, bool AlwaysHuman, string? Skipped = null)
{
    /// <summary>Below this many held-out positives the figures are shown as too few to trust.</summary>
    public bool TooFewToTrust => HeldOutPositives < Scoring.Training.HeldOutSplit.TrustworthyPositives;

    public static HeadCategoryMetrics NotTrained(string category, int positives, int negatives, int moderators, string why) =>
        new(category, positives, negatives, 0, 0, 0, 0, 0, 0, "", 0, 0, moderators, default, default, [], false, why);
}
