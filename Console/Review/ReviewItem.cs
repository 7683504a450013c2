namespace ModerationConsole.Review;

public sealed record CategoryScore(string Category, string Label, double Score, bool Flagged)
{
    /// <summary>A score as the policy sees it: the category's label, flagged at or over its review threshold.</summary>
    public static CategoryScore Under(Policy.PolicyDocument policy, string category, double score) =>
        policy.Find(category) is { } rule
            ? new CategoryScore(category, rule.Label, score, score >= rule.ReviewAt)
            : new CategoryScore(category, category, score, false);
}

/// <summary>One active classifier version's scores of the item (<c>item_scores.source</c> = name@version).</summary>
/// <param name="Shadow">The version is in shadow mode: its scores are shown for comparison and route nothing.</param>
public sealed record ClassifierScores(string Source, IReadOnlyList<CategoryScore> Scores, bool Shadow = false);

public sealed record PriorDecision(long ItemId, string Decision, IReadOnlyList<string> Categories, bool Automated, DateTimeOffset DecidedAt);

/// <summary>Everything the review screen shows about one item. All text here is user-supplied and rendered as text only.</summary>
public sealed record ReviewItem(
    long Id,
    string Queue,
    string GenerationId,
    string ProducerName,
    string UserId,
    string Prompt,
    string? NegativePrompt,
    string? Model,
    DateTimeOffset CreatedAt,
    DateTimeOffset ReceivedAt,
    string Route,
    IReadOnlyList<string> RouteCategories,
    int Priority,
    string? Jurisdiction,
    string? UserTier,
    bool? AgeVerified,
    int ImageWidth,
    int ImageHeight,
    string ImageContentType,
    IReadOnlyList<CategoryScore> Scores,
    IReadOnlyDictionary<string, string> Metadata,
    int UserStrikes,
    IReadOnlyList<PriorDecision> UserHistory,
    int? ImageHashQuality = null,
    IReadOnlyList<ClassifierScores>? Classifiers = null,
    long ProducerId = 0,
    /// <summary>The gravest action in force on the user's account (warn … ban); null when none.</summary>
    string? AccountAction = null,
    /// <summary>Why the opt-out registry sent the item to a person (OptOuts/); null when it did not.</summary>
    string? OptOut = null);
