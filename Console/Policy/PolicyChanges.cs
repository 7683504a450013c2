using System.Security.Claims;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Jobs;

namespace ModerationConsole.Policy;

/// <summary>
/// An admin's policy change: a new active version (audited) and a job that re-routes the pending backlog under it.
/// Only admins; the check is here as well as on the page.
/// </summary>
public sealed class PolicyChanges(PolicyStore policies, JobStore jobs)
{
    public async Task<(int Version, long JobId)> ActivateAsync(ClaimsPrincipal admin, PolicyDocument document, string reason, CancellationToken ct = default)
    {
        var userId = AdminId(admin);
        var version = await policies.ActivateAsync(document, reason, userId, ct);
        return (version, await jobs.StartAsync(RerouteJob.JobKind, RerouteJob.Parameters(version), Actor.User(userId), userId, ct));
    }

    public async Task<(int Version, long JobId)> RestoreAsync(ClaimsPrincipal admin, int version, string reason, CancellationToken ct = default)
    {
        var userId = AdminId(admin);
        var restored = await policies.RestoreAsync(version, reason, userId, ct);
        return (restored, await jobs.StartAsync(RerouteJob.JobKind, RerouteJob.Parameters(restored), Actor.User(userId), userId, ct));
    }

    private static long AdminId(ClaimsPrincipal user) =>
        user.UserIdUnder(Policies.Admin, "Only admins change the policy.");
}

/// <summary>
/// At start, re-routes a backlog left behind (a crash between activating a policy and starting its job, or items that
/// were held by moderators while the last job ran): pending items routed under an older version, and no re-route running.
/// </summary>
public sealed class RerouteLeftovers(Db db, JobStore jobs, ILogger<RerouteLeftovers> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var version = await db.ReadAsync(c => c.ExecuteScalarAsync<int?>(
                """
                select p.version from policies p
                where p.active
                  and exists (select 1 from review_items r where r.status = 'pending' and r.policy_version <> p.version)
                  and not exists (select 1 from jobs j where j.kind = 'reroute' and j.state in ('queued', 'running'))
                """), stoppingToken);
            if (version is { } active)
            {
                logger.LogInformation("Pending items were routed under an older policy; re-routing them under version {Version}", active);
                await jobs.StartAsync(RerouteJob.JobKind, RerouteJob.Parameters(active), Actor.Console, null, stoppingToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Could not check for a backlog to re-route");
        }
    }
}
