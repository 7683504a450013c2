using Dapper;
using ModerationConsole.Data;

namespace ModerationConsole.Audit.Reports;

/// <summary>
/// The figures a DSA transparency report (Art. 15 and 24) asks of content moderation, for a period: actions by policy
/// category, by automated and human means, by member state; the median time to act; decisions reversed on internal
/// review; actions on accounts; and the complaints received through the internal complaint-handling system (Art. 20
/// appeals, Art. 24(1)(a)): their number, basis, outcome and median time to decide.
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
    /// <summary>Actions on accounts that came into force in the period, by action (warn, restrict, suspend, ban …).</summary>
    public IReadOnlyList<CountRow> AccountActions { get; init; } = [];
    public ComplaintTotals Complaints { get; init; } = new();
    /// <summary>Complaints by basis: "decision:category" or "account:action".</summary>
    public IReadOnlyList<CountRow> ComplaintsByBasis { get; init; } = [];
    /// <summary>First decisions by outcome (approve, block and the policy's outcomes between them, Policy/Outcomes.cs).</summary>
    public IReadOnlyList<CountRow> ByOutcome { get; init; } = [];
    /// <summary>Cases, CyberTipline reports and removal requests of the period (Cases/, Removals/).</summary>
    public LegalTotals Legal { get; init; } = new();

    public sealed class LegalTotals
    {
        public long CasesOpened { get; init; }
        /// <summary>Child-safety cases reported to NCMEC's CyberTipline in the period.</summary>
        public long CyberTiplineReports { get; init; }
        public long RemovalRequests { get; init; }
        public long RemovalRequestsActioned { get; init; }
        public long RemovalRequestsDeclined { get; init; }
        /// <summary>Median hours from receiving a removal request to acting on it, over those acted on.</summary>
        public double? MedianHoursToRemove { get; init; }
        public long RemovalRequestsOverdueWhenAnswered { get; init; }
    }

    public sealed class CountRow
    {
        public string Key { get; init; } = "";
        public long Count { get; init; }
    }

    public sealed class ComplaintTotals
    {
        public long Received { get; init; }
        public long Upheld { get; init; }
        public long Overturned { get; init; }
        public long Modified { get; init; }
        public long Pending { get; init; }
        public double? MedianHoursToDecide { get; init; }
    }

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
            select d.id, d.decision, d.categories, d.automated, r.jurisdiction, d.outcome,
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
        var actions = await c.QueryAsync<TransparencyReport.CountRow>(
            """
            select action as key, count(*) as count from enforcements
            where starts_at >= @From and starts_at < @To group by action order by count desc, action
            """, period);
        var complaints = await c.QuerySingleAsync<TransparencyReport.ComplaintTotals>(
            """
            select count(*) as received,
                   count(*) filter (where outcome = 'upheld') as upheld,
                   count(*) filter (where outcome = 'overturned') as overturned,
                   count(*) filter (where outcome = 'modified') as modified,
                   count(*) filter (where status = 'pending') as pending,
                   percentile_cont(0.5) within group (order by extract(epoch from decided_at - received_at) / 3600)
                       filter (where decided_at is not null) as medianhourstodecide
            from appeals where received_at >= @From and received_at < @To
            """, period);
        var basis = await c.QueryAsync<TransparencyReport.CountRow>(
            """
            select coalesce('decision:' || category, 'account:' || e.action) as key, count(*) as count
            from appeals a
            left join decisions d on d.id = a.decision_id
            left join lateral unnest(d.categories) as category on true
            left join enforcements e on e.id = a.enforcement_id
            where a.received_at >= @From and a.received_at < @To
            group by 1 order by count desc, key
            """, period);
        var outcomes = await c.QueryAsync<TransparencyReport.CountRow>(FirstDecisions +
            """
            select coalesce(outcome, case decision when 'blocked' then 'block' else 'approve' end) as key, count(*) as count
            from firsts group by 1 order by count desc, key
            """, period);
        var legal = await c.QuerySingleAsync<TransparencyReport.LegalTotals>(
            """
            select (select count(*) from cases where opened_at >= @From and opened_at < @To) as casesopened,
                   (select count(*) from cases where kind = 'child_safety' and reported_at >= @From and reported_at < @To) as cybertiplinereports,
                   count(*) as removalrequests,
                   count(*) filter (where status = 'actioned') as removalrequestsactioned,
                   count(*) filter (where status = 'declined') as removalrequestsdeclined,
                   percentile_cont(0.5) within group (order by extract(epoch from answered_at - received_at) / 3600)
                       filter (where status = 'actioned') as medianhourstoremove,
                   count(*) filter (where answered_at > due_at) as removalrequestsoverduewhenanswered
            from removal_requests where received_at >= @From and received_at < @To
            """, period);
        return new TransparencyReport(period, totals.Decisions, totals.Restrictions, totals.Automated, totals.Human,
            totals.MedianAutomated, totals.MedianHuman, totals.Reversals, categories.AsList(), territories.AsList())
        {
            AccountActions = actions.AsList(), Complaints = complaints, ComplaintsByBasis = basis.AsList(), Legal = legal,
            ByOutcome = outcomes.AsList(),
        };
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
