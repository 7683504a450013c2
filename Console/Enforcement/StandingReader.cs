using Dapper;
using ModerationConsole.Data;

namespace ModerationConsole.Enforcement;

/// <summary>A user's standing now: active strike weight and the actions in force, folded into what the platform enforces.</summary>
public sealed class StandingReader(Db db)
{
    public Task<UserStanding> StandingAsync(long producerId, string userId, CancellationToken ct = default) => db.ReadAsync(async connection =>
    {
        var weight = await connection.ExecuteScalarAsync<int>(
            """
            select coalesce(sum(weight), 0)::int from strikes
            where producer_id = @producerId and user_id = @userId and lifted_at is null and expires_at > now()
            """, new { producerId, userId });
        var active = (await connection.QueryAsync<EnforcementWriter.Row>(
            """
            select id, producer_id as producerid, user_id as userid, action, features, hourly_quota as hourlyquota, state,
                   starts_at as startsat, ends_at as endsat, categories, reason, automated
            from enforcements e
            where producer_id = @producerId and user_id = @userId and state = 'active' and (ends_at is null or ends_at > now())
            order by id
            """, new { producerId, userId })).Select(r => r.ToState()).ToList();
        return Fold(userId, weight, active);
    }, ct);

    /// <summary>The gravest action names the status; restrictions add up (features united, the lowest quota).</summary>
    public static UserStanding Fold(string userId, int weight, IReadOnlyList<EnforcementState> active)
    {
        var gravest = active.Select(a => a.Action).OrderByDescending(a => EnforcementActions.All.ToList().IndexOf(a)).FirstOrDefault();
        var status = gravest switch
        {
            EnforcementActions.Ban => "banned",
            EnforcementActions.Suspend => "suspended",
            EnforcementActions.RequireVerification => "verification_required",
            EnforcementActions.Restrict => "restricted",
            EnforcementActions.Warn => "warned",
            _ => "ok",
        };
        var restrictions = active.Where(a => a.Action == EnforcementActions.Restrict).ToList();
        return new UserStanding(userId, status, weight,
            restrictions.SelectMany(r => r.Features).Distinct().Order().ToList(),
            restrictions.Select(r => r.HourlyQuota).Where(q => q is not null).Min(),
            active.Any(a => a.Action == EnforcementActions.RequireVerification),
            active.Where(a => a.Action == EnforcementActions.Suspend).Select(a => a.EndsAt).Max(),
            active);
    }
}
