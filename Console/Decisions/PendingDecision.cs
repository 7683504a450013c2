using ModerationConsole.Policy;

namespace ModerationConsole.Decisions;

public static class DecisionKinds
{
    public const string Approved = "approved";
    public const string Blocked = "blocked";
}

/// <summary>
/// A final decision about to be written: by automation (no <see cref="DecidedBy"/>) or by a person; a senior's overturn
/// names the decision it replaces in <see cref="Overturns"/>. <see cref="DecidedAt"/> is when the person decided, for a
/// decision written after its undo window; otherwise it is written now.
/// </summary>
public sealed record PendingDecision(
    long ItemId,
    long ProducerId,
    string PlatformUserId,
    string Decision,
    IReadOnlyList<string> Categories,
    string Reason,
    string? Note,
    long? DecidedBy,
    long? Overturns = null,
    DateTimeOffset? DecidedAt = null,
    string? Outcome = null,
    int OutcomeStrikeWeight = 0)
{
    public bool Automated => DecidedBy is null;

    /// <summary>Whether it gives the user a strike: a block does (weighted by its categories), and so does an outcome the policy weights.</summary>
    public bool Strikes => Decision == DecisionKinds.Blocked || OutcomeStrikeWeight > 0;

    /// <summary>The strike's weight: a block's categories', or its outcome's (<see cref="OutcomeRule.StrikeWeight"/>).</summary>
    public int StrikeWeight(Enforcement.EnforcementPolicy rules) => Decision == DecisionKinds.Blocked ? rules.WeightOf(Categories) : OutcomeStrikeWeight;

    public static PendingDecision Automatic(long itemId, long producerId, string platformUserId, RouteResult route, PolicyDocument policy) =>
        route.Route == Routes.AutoBlocked
            ? new(itemId, producerId, platformUserId, DecisionKinds.Blocked, route.Categories, StatementOfReasons(policy, route.Categories), null, null)
            : route.Outcome is { } outcome
                ? new(itemId, producerId, platformUserId, DecisionKinds.Approved, route.Categories, policy.FindOutcome(outcome)?.Reason ?? ApprovedReason,
                    null, null, Outcome: outcome, OutcomeStrikeWeight: policy.FindOutcome(outcome)?.StrikeWeight ?? 0)
                : new(itemId, producerId, platformUserId, DecisionKinds.Approved, [], ApprovedReason, null, null);

    public const string ApprovedReason = "The image was reviewed and does not violate the platform's policy.";

    /// <summary>The statement of reasons for a block: the policy's reason for each violated category, worst first.</summary>
    public static string StatementOfReasons(PolicyDocument policy, IReadOnlyList<string> categories)
    {
        var reasons = categories.Select(c => policy.Find(c)?.Reason).OfType<string>().Distinct().ToList();
        return reasons.Count > 0 ? string.Join(" ", reasons) : "The image was removed because it violates the platform's policy.";
    }
}
