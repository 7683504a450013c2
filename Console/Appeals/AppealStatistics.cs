using Dapper;
using ModerationConsole.Data;

namespace ModerationConsole.Appeals;

/// <summary>Appeals of the last 30 days as the dashboard shows them: volume, speed, and where decisions do not hold.</summary>
public sealed record AppealFigures(long Received, long Pending, long Overdue, double? MedianHoursToDecide,
    IReadOnlyList<OverturnRate> ByCategory, IReadOnlyList<OverturnRate> ByModerator);

/// <summary>Of the appeals decided for one category or one original decider, how many overturned or modified the decision.</summary>
public sealed class OverturnRate
{
    public string Key { get; init; } = "";
    public long Decided { get; init; }
    public long Reversed { get; init; }
    public double? Rate => Decided == 0 ? null : (double)Reversed / Decided;
}

public sealed class AppealStatistics(Db db)
{
    private const string Window = "a.received_at > now() - interval '30 days'";

    public Task<AppealFigures> LastMonthAsync(CancellationToken ct = default) => db.ReadAsync(async c =>
    {
        var totals = await c.QuerySingleAsync<(long Received, long Pending, long Overdue, double? Median)>(
            $"""
            select count(*), count(*) filter (where status = 'pending'), count(*) filter (where status = 'pending' and due_at < now()),
                   percentile_cont(0.5) within group (order by extract(epoch from decided_at - received_at) / 3600) filter (where decided_at is not null)
            from appeals a where {Window}
            """);
        var byCategory = await c.QueryAsync<OverturnRate>(
            $"""
            select category as key, count(*) as decided, count(*) filter (where a.outcome <> 'upheld') as reversed
            from appeals a join decisions d on d.id = a.decision_id, unnest(d.categories) as category
            where a.status = 'decided' and {Window} group by category order by decided desc, key
            """);
        var byModerator = await c.QueryAsync<OverturnRate>(
            $"""
            select coalesce(u.email, 'automation') as key, count(*) as decided, count(*) filter (where a.outcome <> 'upheld') as reversed
            from appeals a join decisions d on d.id = a.decision_id left join users u on u.id = d.decided_by
            where a.status = 'decided' and {Window} group by 1 order by decided desc, key
            """);
        return new AppealFigures(totals.Received, totals.Pending, totals.Overdue, totals.Median, byCategory.AsList(), byModerator.AsList());
    }, ct);
}
