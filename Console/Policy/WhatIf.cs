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

/// <summary>Automatic blocking at <see cref="Threshold"/> judged by what humans decided.</summary>
public sealed record PrecisionRecall(double Threshold, long TruePositives, long FalsePositives, long FalseNegatives)
{
    /// <summary>Of the items it would block, the share humans blocked for this category; null when it would block none.</summary>
    public double? Precision => TruePositives + FalsePositives == 0 ? null : (double)TruePositives / (TruePositives + FalsePositives);
    /// <summary>Of the items humans blocked for this category, the share it would block; null when humans blocked none.</summary>
    public double? Recall => TruePositives + FalseNegatives == 0 ? null : (double)TruePositives / (TruePositives + FalseNegatives);
}

/// <summary>The evidence for one category: items humans decided that carry its score, and the precision–recall curve.</summary>
public sealed record CategoryEvidence(string Category, long Decided, long HumanBlocked, IReadOnlyList<PrecisionRecall> Curve)
{
    public PrecisionRecall At(double threshold) => Curve.FirstOrDefault(p => Math.Abs(p.Threshold - threshold) < 1e-9)
        ?? throw new ArgumentOutOfRangeException(nameof(threshold), "not a point of the curve");
}

/// <summary>
/// Numbers an admin sees before saving a threshold: which pending items would change route, and how automatic blocking
/// at a threshold would have agreed with the humans who decided items by hand (their standing decisions, overturns
/// included). Computed from the database on request; nothing is stored.
/// </summary>
public sealed class WhatIf(Db db)
{
    /// <summary>The curve's thresholds: every 0.05 from 0.05 to 1, plus any asked for.</summary>
    public static IReadOnlyList<double> CurveThresholds(IEnumerable<double>? extra = null) =>
        Enumerable.Range(1, 20).Select(i => Math.Round(i * 0.05, 2)).Concat(extra ?? []).Distinct().Order().ToList();

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

    /// <summary>Precision and recall of blocking <paramref name="category"/> automatically at each threshold of the curve.</summary>
    public Task<CategoryEvidence> EvidenceAsync(string category, IEnumerable<double>? extraThresholds = null, CancellationToken ct = default) =>
        db.ReadAsync(async connection =>
        {
            // Items a person decided, whose decision stands, with this category's strongest score.
            var labelled = (await connection.QueryAsync<(double Score, bool Blocked)>(
                """
                select max(s.score)::float8 as score, bool_or(d.decision = 'blocked' and @category = any(d.categories)) as blocked
                from decisions d
                join item_scores s on s.item_id = d.item_id and s.category = @category
                where not d.automated and not exists (select 1 from decisions o where o.overturns = d.id)
                  -- the evidence routing uses: the producer's scores and the active classifier versions'
                  and (s.source = 'upstream' or s.source in (select name || '@' || version from classifier_versions where active))
                group by d.id
                """, new { category })).ToList();
            var curve = CurveThresholds(extraThresholds).Select(t => new PrecisionRecall(t,
                labelled.LongCount(l => l.Score >= t && l.Blocked),
                labelled.LongCount(l => l.Score >= t && !l.Blocked),
                labelled.LongCount(l => l.Score < t && l.Blocked))).ToList();
            return new CategoryEvidence(category, labelled.Count, labelled.LongCount(l => l.Blocked), curve);
        }, ct);
}
