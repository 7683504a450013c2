namespace ModerationConsole.Policy;

public static class Routes
{
    public const string Queued = "queued";
    public const string Escalated = "escalated";
    public const string AutoBlocked = "auto_blocked";
    public const string AutoApproved = "auto_approved";
}

public static class Queues
{
    public const string Standard = "standard";
    public const string Escalation = "escalation";
    public static readonly IReadOnlyList<string> All = [Standard, Escalation];
}

/// <summary>A match of the image against the bank of previously blocked images (perceptual hashing).</summary>
public sealed record BankMatch(long BankEntryId, int Distance, IReadOnlyList<string> Categories);

public sealed record RouteInput(
    IReadOnlyDictionary<string, double> Scores,
    BankMatch? BankMatch = null,
    string? Jurisdiction = null,
    string? UserTier = null,
    bool? AgeVerified = null,
    long? OptOutId = null);

/// <param name="Queue">Where a human picks it up; null when automation decided.</param>
/// <param name="Categories">The categories that caused the route, worst first.</param>
/// <param name="Outcome">For an automatic approval under one of the policy's <see cref="AutoOutcomeRule"/>s: the outcome it chose.</param>
public sealed record RouteResult(string Route, string? Queue, int Priority, IReadOnlyList<string> Categories, string? Outcome = null)
{
    public bool IsAutomaticDecision => Route is Routes.AutoBlocked or Routes.AutoApproved;
}

/// <summary>
/// Routing is a pure function of the scores, the policy, a block-bank match, the jurisdiction and the user tier:
/// the same inputs always give the same route, so it can be unit-tested and replayed over history.
/// </summary>
public static class Router
{
    public static RouteResult Route(PolicyDocument policy, RouteInput input)
    {
        if (input.BankMatch is { } match)
            return new RouteResult(Routes.AutoBlocked, null, SeverityOf(policy, match.Categories), match.Categories);

        var known = input.Scores
            .Select(s => (Rule: policy.RuleFor(s.Key, input.Jurisdiction, input.UserTier), Score: s.Value))
            .Where(s => s.Rule is not null)
            .Select(s => (Rule: s.Rule!, s.Score))
            .ToList();

        var flagged = known.Where(s => s.Score >= s.Rule.ReviewAt)
            .OrderByDescending(s => s.Rule.Severity).ThenByDescending(s => s.Score).ThenBy(s => s.Rule.Name, StringComparer.Ordinal)
            .ToList();
        var priority = flagged.Count == 0 ? 0 : flagged.Max(s => s.Rule.Severity);
        var flaggedNames = flagged.Select(s => s.Rule.Name).ToList();

        // A human must see it whatever the other scores say; automation never decides these.
        if (flagged.Any(s => s.Rule.AlwaysHuman))
            return new RouteResult(Routes.Escalated, Queues.Escalation, priority, flaggedNames);

        var blocking = flagged.Where(s => s.Rule.AutoBlockAt is { } at && s.Score >= at).Select(s => s.Rule.Name).ToList();
        if (blocking.Count > 0)
            return new RouteResult(Routes.AutoBlocked, null, priority, blocking);

        // Someone in the opt-out registry: a person decides, whatever else would have approved it.
        if (input.OptOutId is not null)
            return new RouteResult(Routes.Queued, Queues.Standard, priority, flaggedNames);

        // Every category over its review threshold within a band the policy settles with an outcome: approved with it.
        if (flagged.Count > 0 && AutoOutcome(policy, input, flagged) is { } outcome)
            return new RouteResult(Routes.AutoApproved, null, priority, flaggedNames, outcome);

        if (flagged.Count > 0)
            return new RouteResult(Routes.Queued, Queues.Standard, priority, flaggedNames);

        // The producer flagged it but sent no score we understand: there is no evidence to approve on, so a human looks.
        if (known.Count == 0)
            return new RouteResult(Routes.Queued, Queues.Standard, 0, []);

        return new RouteResult(Routes.AutoApproved, null, 0, []);
    }

    /// <summary>The one outcome the policy's automatic outcomes give every flagged category, or null when any is left to people.</summary>
    private static string? AutoOutcome(PolicyDocument policy, RouteInput input, IReadOnlyList<(CategoryRule Rule, double Score)> flagged)
    {
        if (policy.AutoOutcomes.Count == 0) return null;
        string? chosen = null;
        foreach (var (rule, score) in flagged)
        {
            var match = policy.AutoOutcomes.FirstOrDefault(a => a.Category == rule.Name && a.Applies(score, input));
            if (match is null || (chosen is not null && chosen != match.Outcome)) return null;
            chosen = match.Outcome;
        }
        return chosen;
    }

    private static int SeverityOf(PolicyDocument policy, IEnumerable<string> categories) =>
        categories.Select(c => policy.Find(c)?.Severity ?? 0).DefaultIfEmpty(0).Max();
}
