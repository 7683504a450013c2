using System.Security.Claims;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Data;
using ModerationConsole.Policy;

namespace ModerationConsole.Enforcement;

/// <summary>What a person asks to do to an account by hand.</summary>
public sealed record ManualAction(string Action, IReadOnlyList<string> Features, int? HourlyQuota, int? DurationHours, string Reason);

/// <summary>
/// People acting on an account: moderators warn, restrict or require verification; seniors and admins also suspend
/// and ban, confirm or dismiss the ladder's proposals, and lift actions early. Each with a reason, checked on the
/// server, written with its audit entry and the platform's notice in one transaction.
/// </summary>
public sealed class AccountActions(Db db)
{
    public const int MaxReason = 2000;

    public Task<long> ApplyAsync(ClaimsPrincipal user, long producerId, string userId, ManualAction request, CancellationToken ct = default)
    {
        var byUser = user.UserIdUnder(Policies.Review, "Your role may not act on accounts.");
        if (!EnforcementActions.ForModerators.Contains(request.Action))
            user.UserIdUnder(Policies.Escalations, $"Only senior moderators and admins may {request.Action} an account.");
        var reason = RequireReason(request.Reason);
        var step = new LadderStep
        {
            Threshold = 1, Action = request.Action, Features = request.Features.Select(f => f.Trim()).Where(f => f.Length > 0).Distinct().ToList(),
            HourlyQuota = request.HourlyQuota, DurationHours = request.DurationHours,
        };
        var problems = new EnforcementPolicy { Steps = [step] }.Validate([])
            .Select(p => p.Replace("enforcement.steps[0].", "").Replace("enforcement.steps[0]: ", "")).ToList();
        if (problems.Count > 0) throw new EnforcementException(string.Join("; ", problems));

        return db.InTransactionAsync(async (connection, transaction) =>
        {
            await LockAccountAsync(connection, transaction, producerId, userId);
            var policy = (await PolicyStore.LoadActiveAsync(connection, transaction)).Document;
            return await EnforcementWriter.ApplyAsync(connection, transaction, policy,
                new NewEnforcement(producerId, userId, step, Ladder.OriginManual, null, [], reason, byUser, [], null));
        }, ct);
    }

    public Task LiftAsync(ClaimsPrincipal user, long enforcementId, string reason, CancellationToken ct = default)
    {
        var byUser = user.UserIdUnder(Policies.Escalations, "Only senior moderators and admins may lift or dismiss account actions.");
        reason = RequireReason(reason);
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            await EnforcementWriter.LiftAsync(connection, transaction, enforcementId, byUser, reason);
            return 0;
        }, ct);
    }

    public Task ConfirmAsync(ClaimsPrincipal user, long enforcementId, string? note, CancellationToken ct = default)
    {
        var byUser = user.UserIdUnder(Policies.Escalations, "Only senior moderators and admins may confirm the ladder's proposals.");
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var policy = (await PolicyStore.LoadActiveAsync(connection, transaction)).Document;
            await EnforcementWriter.ConfirmAsync(connection, transaction, policy, enforcementId, byUser, string.IsNullOrWhiteSpace(note) ? null : note.Trim());
            return 0;
        }, ct);
    }

    private static string RequireReason(string? reason)
    {
        reason = reason?.Trim();
        if (string.IsNullOrEmpty(reason)) throw new EnforcementException("reason: say why; the user is told and the audit log keeps it.");
        if (reason.Length > MaxReason) throw new EnforcementException($"reason: at most {MaxReason} characters (it has {reason.Length}).");
        return reason;
    }

    /// <summary>Serialises actions on one account with its decisions (they lock the same row first).</summary>
    public static Task LockAccountAsync(Npgsql.NpgsqlConnection connection, Npgsql.NpgsqlTransaction transaction, long producerId, string userId) =>
        connection.ExecuteAsync(
            """
            insert into platform_users (producer_id, user_id) values (@producerId, @userId)
            on conflict (producer_id, user_id) do update set strikes = platform_users.strikes
            """, new { producerId, userId }, transaction);
}
