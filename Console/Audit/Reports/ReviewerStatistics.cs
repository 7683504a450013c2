using Dapper;
using ModerationConsole.Data;

namespace ModerationConsole.Audit.Reports;

/// <summary>One moderator's work in a period.</summary>
public sealed class ReviewerRow
{
    public string Moderator { get; init; } = "";
    public string Role { get; init; } = "";
    /// <summary>Distinct items this person decided.</summary>
    public long Items { get; init; }
    public long Decisions { get; init; }
    public long Blocked { get; init; }
    public long Escalated { get; init; }
    /// <summary>Median seconds from the item's arrival to this person's decision.</summary>
    public double? MedianSecondsToDecision { get; init; }
    /// <summary>Median seconds from this person's claim of the item to their decision: time actually spent on it.</summary>
    public double? MedianHandlingSeconds { get; init; }
    /// <summary>Of this person's decisions, how many a senior later overturned.</summary>
    public long Overturned { get; init; }
    public double OverturnRate => Decisions == 0 ? 0 : (double)Overturned / Decisions;
    /// <summary>Decisions of others this person overturned (seniors).</summary>
    public long OverturnsMade { get; init; }
}

/// <summary>
/// Reviewer statistics for auditors: per moderator, items and decisions, the median time to a decision, the median
/// time spent once claimed, and how often their decisions were overturned. Computed in PostgreSQL in one query.
/// </summary>
public sealed class ReviewerStatistics(Db db)
{
    public Task<IReadOnlyList<ReviewerRow>> ForAsync(ReportPeriod period, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<ReviewerRow>>(async c => (await c.QueryAsync<ReviewerRow>(
            """
            with human as (
                select d.id, d.item_id, d.decided_by, d.decision, d.overturns, d.decided_at, r.received_at,
                       exists (select 1 from decisions o where o.overturns = d.id) as overturned,
                       -- This person's last claim of the item before deciding it.
                       (select max(a.at) from audit_log a
                        where a.item_id = d.item_id and a.action = 'item.claimed' and a.actor_kind = 'user'
                          and a.actor_id = d.decided_by::text and a.at <= d.decided_at) as claimed_at
                from decisions d join review_items r on r.id = d.item_id
                where not d.automated and d.decided_at >= @From and d.decided_at < @To
            ),
            escalations as (
                select a.actor_id::bigint as user_id, count(*) as escalated
                from audit_log a
                where a.action = 'item.escalated' and a.actor_kind = 'user' and a.at >= @From and a.at < @To
                group by a.actor_id
            )
            select u.email as moderator, u.role,
                   count(distinct h.item_id) as items,
                   count(*) as decisions,
                   count(*) filter (where h.decision = 'blocked') as blocked,
                   coalesce(max(e.escalated), 0) as escalated,
                   percentile_cont(0.5) within group (order by extract(epoch from h.decided_at - h.received_at)) as mediansecondstodecision,
                   percentile_cont(0.5) within group (order by extract(epoch from h.decided_at - h.claimed_at)) as medianhandlingseconds,
                   count(*) filter (where h.overturned) as overturned,
                   count(*) filter (where h.overturns is not null) as overturnsmade
            from human h
            join users u on u.id = h.decided_by
            left join escalations e on e.user_id = h.decided_by
            group by u.id, u.email, u.role
            order by decisions desc, moderator
            """, period)).AsList(), ct);
}
