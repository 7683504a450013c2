using Dapper;
using ModerationConsole.Data;

namespace ModerationConsole.Policy;

public sealed record RouteChange(string From, string To, long Items);

/// <summary>How the pending backlog would move under a proposed policy: counts per (current route → new route).</summary>
public sealed record BacklogWhatIf(long PendingItems, IReadOnlyList<RouteChange> Changes)
{
    public long Changed => Changes.Where(c => c.From != c.To).Sum(c => c.Items);
    public long Moving(string to) => Changes.Where(c => c.From != c.To && c.To == to).Sum(c => c.Items);
}

/// <summary>
/// An item a person decided (their decision stands: not overturned), with the evidence routing sees today and the
/// categories the person blocked it for (none when they approved it).
/// </summary>
public sealed record LabelledItem(RouteInput Input, IReadOnlySet<string> BlockedFor);

/// <summary>
/// Automatic blocking of one category judged by what people decided. <see cref="Threshold"/> is the category's own
/// auto-block threshold (null: off); overrides for jurisdictions and user tiers apply on top, as routing applies them.
/// </summary>
public sealed record PrecisionRecall(double? Threshold, long TruePositives, long FalsePositives, long FalseNegatives)
{
    /// <summary>Of the items it would block, the share people blocked for this category; null when it would block none.</summary>
    public double? Precision => TruePositives + FalsePositives == 0 ? null : (double)TruePositives / (TruePositives + FalsePositives);
    /// <summary>Of the items people blocked for this category, the share it would block; null when people blocked none.</summary>
    public double? Recall => TruePositives + FalseNegatives == 0 ? null : (double)TruePositives / (TruePositives + FalseNegatives);
}

/// <summary>
/// The evidence for one category under a policy: how many items people decided (and how many carry this category's
/// score, and were blocked for it), automatic blocking as the policy stands, and the precision–recall curve as the
/// category's threshold moves (its overrides kept).
/// </summary>
public sealed record CategoryEvidence(string Category, long Decided, long Scored, long HumanBlocked, PrecisionRecall AsProposed, IReadOnlyList<PrecisionRecall> Curve)
{
    public PrecisionRecall At(double threshold) => Curve.FirstOrDefault(p => p.Threshold is { } t && Math.Abs(t - threshold) < 1e-9)
        ?? throw new ArgumentOutOfRangeException(nameof(threshold), "not a point of the curve");
}

/// <summary>
/// Numbers an admin sees before saving a policy: which pending items would change route, and how automatic blocking
/// would have agreed with the people who decided items by hand. Both replay routing itself (<see cref="Router"/>) over
/// the stored evidence, so thresholds, overrides per jurisdiction and user tier, and always-human categories count
/// exactly as they will once saved. Computed from the database on request; nothing is stored.
/// </summary>
public sealed class WhatIf(Db db)
{
    /// <summary>The curve's thresholds: the category's review threshold and every 0.05 above it up to 1, plus any asked for.</summary>
    public static IReadOnlyList<double> CurveThresholds(double reviewAt, IEnumerable<double>? extra = null) =>
        Enumerable.Range(1, 20).Select(i => Math.Round(i * 0.05, 2)).Where(t => t >= reviewAt)
            .Append(reviewAt).Concat(extra ?? []).Distinct().Order().ToList();

    public Task<BacklogWhatIf> BacklogAsync(PolicyDocument proposed, CancellationToken ct = default) => db.ReadAsync(async connection =>
    {
        var counts = new Dictionary<(string From, string To), long>();
        long pending = 0;
        await foreach (var item in RoutingInputs.PendingAsync(connection).WithCancellation(ct))
        {
            pending++;
            var to = Router.Route(proposed, item.ToInput()).Route;
            counts[(item.Route, to)] = counts.GetValueOrDefault((item.Route, to)) + 1;
        }
        return new BacklogWhatIf(pending, counts.Select(c => new RouteChange(c.Key.From, c.Key.To, c.Value))
            .OrderByDescending(c => c.Items).ToList());
    }, ct);

    /// <summary>
    /// How many of the newest standing decisions judge automation: recent ones reflect today's producers and classifiers,
    /// and the set stays a few tens of megabytes however long the console has run.
    /// </summary>
    public const int EvidenceLimit = 100_000;

    /// <summary>The newest items people decided whose decision stands, with their routing evidence: what automation is judged against.</summary>
    public Task<IReadOnlyList<LabelledItem>> DecidedByPeopleAsync(CancellationToken ct = default) => db.ReadAsync<IReadOnlyList<LabelledItem>>(async c =>
    {
        var rows = c.QueryUnbufferedAsync<DecidedRow>(
            $"""
            select r.jurisdiction, r.user_tier as usertier, r.age_verified as ageverified, {RoutingInputs.ScoresColumn},
                   case when d.decision = 'blocked' then d.categories else array[]::text[] end as blockedfor
            from decisions d
            join review_items r on r.id = d.item_id
            where not d.automated and not exists (select 1 from decisions o where o.overturns = d.id)
            order by d.id desc
            limit {EvidenceLimit}
            """);
        var items = new List<LabelledItem>();
        await foreach (var row in rows.WithCancellation(ct))
            items.Add(new LabelledItem(
                RoutingInputs.InputOf(row.Scores, row.Jurisdiction, row.UserTier, row.AgeVerified),
                row.BlockedFor.ToHashSet(StringComparer.Ordinal)));
        return items;
    }, ct);

    /// <summary>The evidence for <paramref name="category"/> under <paramref name="policy"/>, from the database's decisions.</summary>
    public async Task<CategoryEvidence> EvidenceAsync(PolicyDocument policy, string category, IEnumerable<double>? extraThresholds = null,
        CancellationToken ct = default) =>
        Evidence(policy, category, await DecidedByPeopleAsync(ct), extraThresholds);

    /// <summary>Automatic blocking of <paramref name="category"/> under <paramref name="policy"/> as it stands, judged by <paramref name="items"/>.</summary>
    public static PrecisionRecall Judge(PolicyDocument policy, string category, IEnumerable<LabelledItem> items)
    {
        long truePositives = 0, falsePositives = 0, falseNegatives = 0;
        foreach (var item in items)
        {
            var route = Router.Route(policy, item.Input);
            var automatic = route.Route == Routes.AutoBlocked && route.Categories.Contains(category);
            var human = item.BlockedFor.Contains(category);
            if (automatic && human) truePositives++;
            else if (automatic) falsePositives++;
            else if (human) falseNegatives++;
        }
        return new PrecisionRecall(policy.Find(category)?.AutoBlockAt, truePositives, falsePositives, falseNegatives);
    }

    public static CategoryEvidence Evidence(PolicyDocument policy, string category, IReadOnlyList<LabelledItem> items, IEnumerable<double>? extraThresholds = null)
    {
        var rule = policy.Find(category) ?? throw new ArgumentException($"category: '{category}' is not in the policy", nameof(category));
        // Only an item carrying this category's score can be blocked for it; the others people blocked for it are
        // missed whatever the threshold.
        var scored = items.Where(i => i.Input.Scores.ContainsKey(category)).ToList();
        var alwaysMissed = items.LongCount(i => !i.Input.Scores.ContainsKey(category) && i.BlockedFor.Contains(category));
        IReadOnlyList<PrecisionRecall> curve = rule.AlwaysHuman
            ? []
            : CurveThresholds(rule.ReviewAt, extraThresholds).Select(threshold =>
            {
                var point = Judge(WithThreshold(policy, category, threshold), category, scored);
                return point with { FalseNegatives = point.FalseNegatives + alwaysMissed };
            }).ToList();
        return new CategoryEvidence(category, items.Count, scored.Count, items.LongCount(i => i.BlockedFor.Contains(category)),
            Judge(policy, category, items), curve);
    }

    private static PolicyDocument WithThreshold(PolicyDocument policy, string category, double autoBlockAt) => policy with
    {
        Categories = policy.Categories.Select(c => c.Name == category ? c with { AutoBlockAt = autoBlockAt } : c).ToList(),
    };

    private sealed class DecidedRow
    {
        public string? Jurisdiction { get; init; }
        public string? UserTier { get; init; }
        public bool? AgeVerified { get; init; }
        public string Scores { get; init; } = "{}";
        public string[] BlockedFor { get; init; } = [];
    }
}
