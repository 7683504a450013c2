using Dapper;
using ModerationConsole.Data;

namespace ModerationConsole.Audit.Reports;

/// <summary>
/// The figures a DSA transparency report (Art. 15 and 24) asks of content moderation, for a period: actions by policy
/// category, by automated and human means, by member state; the median time to act; and decisions reversed on internal
/// review. The console receives no appeals from platform users (those go to the platform), so appeals are reported as
/// such, not invented.
/// </summary>
public sealed record TransparencyReport(
    ReportPeriod Period,
    long Decisions,
    long Restrictions,
    long AutomatedDecisions,
    long HumanDecisions,
    double? MedianHandlingSecondsAutomated,
    double? MedianHandlingSecondsHuman,
    long Reversals,
    IReadOnlyList<TransparencyReport.CategoryRow> ByCategory,
    IReadOnlyList<TransparencyReport.TerritoryRow> ByTerritory)
{
    public const string AppealsStatement =
        "Appeals (complaints by platform users) are handled by the platform and not received by this console; decisions reversed after internal review by a senior moderator are counted as reversals.";

    public sealed class CategoryRow
    {
        public string Category { get; init; } = "";
        public long Restrictions { get; init; }
        public long Automated { get; init; }
        public long Human { get; init; }
        public double? MedianHandlingSeconds { get; init; }
        public long Reversed { get; init; }
    }

    public sealed class TerritoryRow
    {
        public string Territory { get; init; } = "";
        public long Restrictions { get; init; }
        public long Approvals { get; init; }
    }
}

public sealed class TransparencyReports(Db db)
{
    // First decisions only (overturns are counted as reversals of them); handling time is arrival to decision.
    private const string FirstDecisions =
        """
        with firsts as (
            select d.id, d.decision, d.categories, d.automated, r.jurisdiction,
                   extract(epoch from d.decided_at - r.received_at) as seconds,
                   exists (select 1 from decisions o where o.overturns = d.id) as reversed
            from decisions d join review_items r on r.id = d.item_id
            where d.overturns is null and d.decided_at >= @From and d.decided_at < @To
        )
        """;

    public Task<TransparencyReport> ForAsync(ReportPeriod period, CancellationToken ct = default) => db.ReadAsync(async c =>
    {
        var totals = await c.QuerySingleAsync<Totals>(FirstDecisions +
            """
            select count(*) as decisions,
                   count(*) filter (where decision = 'blocked') as restrictions,
                   count(*) filter (where automated) as automated,
                   count(*) filter (where not automated) as human,
                   percentile_cont(0.5) within group (order by seconds) filter (where automated) as medianautomated,
                   percentile_cont(0.5) within group (order by seconds) filter (where not automated) as medianhuman,
                   count(*) filter (where reversed) as reversals
            from firsts
            """, period);
        var categories = await c.QueryAsync<TransparencyReport.CategoryRow>(FirstDecisions +
            """
            select category, count(*) as restrictions,
                   count(*) filter (where automated) as automated,
                   count(*) filter (where not automated) as human,
                   percentile_cont(0.5) within group (order by seconds) as medianhandlingseconds,
                   count(*) filter (where reversed) as reversed
            from firsts, unnest(categories) as category
            where decision = 'blocked'
            group by category order by restrictions desc, category
            """, period);
        var territories = await c.QueryAsync<TransparencyReport.TerritoryRow>(FirstDecisions +
            """
            select coalesce(jurisdiction, 'unknown') as territory,
                   count(*) filter (where decision = 'blocked') as restrictions,
                   count(*) filter (where decision = 'approved') as approvals
            from firsts group by 1 order by restrictions desc, territory
            """, period);
        return new TransparencyReport(period, totals.Decisions, totals.Restrictions, totals.Automated, totals.Human,
            totals.MedianAutomated, totals.MedianHuman, totals.Reversals, categories.AsList(), territories.AsList());
    }, ct);

    private sealed class Totals
    {
        public long Decisions { get; init; }
        public long Restrictions { get; init; }
        public long Automated { get; init; }
        public long Human { get; init; }
        public double? MedianAutomated { get; init; }
        public double? MedianHuman { get; init; }
        public long Reversals { get; init; }
    }
}
