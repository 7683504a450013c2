using Dapper;
using ModerationConsole.Data;
using ModerationConsole.Policy;

namespace ModerationConsole.Heads;

/// <summary>How routing would have differed had a version in shadow mode been active, over the items it scored.</summary>
/// <param name="Changes">Per change of route ("queued → auto_blocked"), how many items and a few of their ids.</param>
public sealed record RoutingDifference(string Source, int Compared, int Changed, IReadOnlyList<RouteChange> Changes);

public sealed record RouteChange(string From, string To, int Items, IReadOnlyList<long> Examples);

/// <summary>
/// Replays the active policy over the latest items a shadowed version scored, once with the scores that route today and
/// once with the shadow version's added (each category's strongest, as routing combines them), and counts the items
/// whose route would change. Like the what-if, it judges thresholds only: bank matches are not replayed.
/// </summary>
public sealed class ShadowComparison(Db db, PolicyStore policies)
{
    public const int Latest = 5000;

    public async Task<RoutingDifference> CompareAsync(string name, string version, CancellationToken ct = default)
    {
        var source = $"{name}@{version}";
        var policy = (await policies.LoadActiveAsync(ct)).Document;
        var rows = await db.ReadAsync(async c => (await c.QueryAsync<(long Id, string? Jurisdiction, string? UserTier, bool? AgeVerified, long? OptOutId, string Scores, string WithShadow)>(
            $"""
            select r.id, r.jurisdiction, r.user_tier, r.age_verified, r.opt_out_id, {RoutingInputs.ScoresSql("false")}, {RoutingInputs.ScoresSql("s.source = @source")}
            from review_items r
            where r.id in (select item_id from item_scores where source = @source order by item_id desc limit @Latest)
            """, new { source, Latest })).AsList(), ct);
        var changes = new Dictionary<(string From, string To), List<long>>();
        foreach (var row in rows)
        {
            var today = Router.Route(policy, RoutingInputs.InputOf(row.Scores, row.Jurisdiction, row.UserTier, row.AgeVerified) with { OptOutId = row.OptOutId });
            var shadowed = Router.Route(policy, RoutingInputs.InputOf(row.WithShadow, row.Jurisdiction, row.UserTier, row.AgeVerified) with { OptOutId = row.OptOutId });
            if (today.Route == shadowed.Route && today.Queue == shadowed.Queue) continue;
            var key = (Describe(today), Describe(shadowed));
            if (!changes.TryGetValue(key, out var ids)) changes[key] = ids = [];
            ids.Add(row.Id);
        }
        return new RoutingDifference(source, rows.Count, changes.Values.Sum(v => v.Count),
            changes.OrderByDescending(c => c.Value.Count).Select(c => new RouteChange(c.Key.From, c.Key.To, c.Value.Count, c.Value.Take(5).ToList())).ToList());
    }

    private static string Describe(RouteResult route) => route.Queue is { } queue ? $"{route.Route} ({queue})" : route.Route;
}
