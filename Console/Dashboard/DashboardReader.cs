using Dapper;
using ModerationConsole.Data;

namespace ModerationConsole.Dashboard;

public sealed record HourlyDecisions(DateTime Hour, long Human, long Automated);

/// <summary>A moderator's last seven days, and how often seniors who re-read their decisions agreed.</summary>
public sealed class ModeratorActivity
{
    public string Moderator { get; init; } = "";
    public long LastDay { get; init; }
    public long LastWeek { get; init; }
    public long Confirmed { get; init; }
    public long Overturned { get; init; }
    /// <summary>Items passed back undecided in the last 24 hours and 7 days.</summary>
    public long SkippedLastDay { get; init; }
    public long SkippedLastWeek { get; init; }
    public long ReReviewed => Confirmed + Overturned;
    /// <summary>Of this moderator's decisions a senior re-read (confirmed or overturned), the share confirmed.</summary>
    public double? Agreement => ReReviewed == 0 ? null : (double)Confirmed / ReReviewed;
}

/// <summary>The figures of the live dashboard, each one query.</summary>
public sealed class DashboardReader(Db db)
{
    public Task<IReadOnlyList<HourlyDecisions>> DecisionsPerHourAsync(CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<HourlyDecisions>>(async c => (await c.QueryAsync<HourlyDecisions>(
            """
            select hours.hour,
                   count(d.id) filter (where not d.automated) as human,
                   count(d.id) filter (where d.automated) as automated
            from generate_series(date_trunc('hour', now()) - interval '23 hours', date_trunc('hour', now()), interval '1 hour') as hours (hour)
            left join decisions d on d.decided_at >= hours.hour and d.decided_at < hours.hour + interval '1 hour'
            group by hours.hour order by hours.hour
            """)).AsList(), ct);

    public Task<IReadOnlyList<ModeratorActivity>> ModeratorsAsync(CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<ModeratorActivity>>(async c => (await c.QueryAsync<ModeratorActivity>(
            """
            with decided as (
                select d.decided_by as user_id,
                       count(*) filter (where d.decided_at > now() - interval '1 day') as lastday,
                       count(*) as lastweek,
                       count(*) filter (where exists (
                           select 1 from audit_log a where a.action = 'decision.confirmed' and a.item_id = d.item_id
                                                       and (a.details->>'decisionId')::bigint = d.id)) as confirmed,
                       count(*) filter (where exists (select 1 from decisions o where o.overturns = d.id)) as overturned
                from decisions d
                where not d.automated and d.decided_at > now() - interval '7 days'
                group by d.decided_by),
            skipped as (
                select user_id, count(*) filter (where skipped_at > now() - interval '1 day') as lastday, count(*) as lastweek
                from item_skips where skipped_at > now() - interval '7 days' group by user_id)
            select u.email as moderator, coalesce(d.lastday, 0) as lastday, coalesce(d.lastweek, 0) as lastweek,
                   coalesce(d.confirmed, 0) as confirmed, coalesce(d.overturned, 0) as overturned,
                   coalesce(s.lastday, 0) as skippedlastday, coalesce(s.lastweek, 0) as skippedlastweek
            from decided d full join skipped s on s.user_id = d.user_id
            join users u on u.id = coalesce(d.user_id, s.user_id)
            order by lastday desc, lastweek desc, moderator
            """)).AsList(), ct);

    /// <summary>
    /// Score distributions per source (the producer's own, each classifier version) and category: the last 7 days against
    /// the 7 before; and the prompt models' scores on checks before generation, counted by day.
    /// </summary>
    public Task<IReadOnlyList<ScoreDrift>> DriftAsync(CancellationToken ct = default) => db.ReadAsync<IReadOnlyList<ScoreDrift>>(async c =>
    {
        var rows = await c.QueryAsync<(string Source, string Category, bool ThisWeek, int Bin, long Count)>(
            """
            select s.source, s.category, r.received_at >= now() - interval '7 days' as thisweek,
                   least(width_bucket(s.score, 0, 1, 10), 10) - 1 as bin, count(*) as count
            from item_scores s join review_items r on r.id = s.item_id
            where r.received_at >= now() - interval '14 days'
            group by 1, 2, 3, 4
            union all
            select source || @onChecks, category, day > current_date - 7, bin, checks
            from check_score_days where day > current_date - 14
            """, new { onChecks = ScoreDrift.OnChecks });
        return rows.GroupBy(r => (r.Source, r.Category)).Select(g =>
        {
            var lastWeek = new long[ScoreDrift.Bins];
            var thisWeek = new long[ScoreDrift.Bins];
            foreach (var row in g) (row.ThisWeek ? thisWeek : lastWeek)[row.Bin] += row.Count;
            return new ScoreDrift(g.Key.Source, g.Key.Category, lastWeek, thisWeek);
        }).OrderByDescending(d => d.Index ?? -1).ThenBy(d => d.Source).ThenBy(d => d.Category).ToList();
    }, ct);
}
