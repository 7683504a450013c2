using System.Security.Claims;
using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using Npgsql;

namespace ModerationConsole.Accounts;

/// <summary>
/// Sessions on the server: each sign-in opens one, its id travels in the cookie, and <see cref="SessionCheck"/> admits a
/// cookie only while its session is open. Signing out, an admin's "end sessions", a role change and disabling the
/// account end sessions, so a cookie copied before any of them no longer works (within the check's few seconds of cache).
/// </summary>
public sealed class UserSessions(Db db)
{
    public const string ClaimType = "session_id";

    public Task<Guid> OpenAsync(long userId, string? remoteAddress, CancellationToken ct = default) =>
        db.InTransactionAsync((connection, transaction) => connection.ExecuteScalarAsync<Guid>(
            "insert into user_sessions (user_id, remote_address) values (@userId, @remoteAddress) returning id",
            new { userId, remoteAddress }, transaction), ct);

    /// <summary>Signing out ends the session the cookie carries.</summary>
    public Task EndAsync(ClaimsPrincipal principal, CancellationToken ct = default) =>
        SessionOf(principal) is { } id
            ? db.InTransactionAsync((connection, transaction) => connection.ExecuteAsync(
                "update user_sessions set ended_at = now(), ended_reason = 'signed out' where id = @id and ended_at is null", new { id }, transaction), ct)
            : Task.CompletedTask;

    /// <summary>For admins: how many open sessions each person has (those signed in within the cookie's lifetime).</summary>
    public Task<IReadOnlyDictionary<long, int>> OpenCountsAsync(ClaimsPrincipal admin, TimeSpan cookieLifetime, CancellationToken ct = default)
    {
        admin.UserIdUnder(Policies.Admin);
        return db.ReadAsync<IReadOnlyDictionary<long, int>>(async c => (await c.QueryAsync<(long UserId, int Open)>(
            "select user_id, count(*)::int from user_sessions where ended_at is null and started_at > now() - @cookieLifetime group by user_id",
            new { cookieLifetime })).ToDictionary(r => r.UserId, r => r.Open), ct);
    }

    /// <summary>An admin ends every open session of a person; audited with how many.</summary>
    public Task<int> EndAllAsync(ClaimsPrincipal admin, long userId, CancellationToken ct = default)
    {
        var actor = admin.ActorUnder(Policies.Admin);
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var ended = await EndAllAsync(connection, transaction, userId, "ended by an admin");
            await AuditLog.AppendAsync(connection, transaction, actor, AuditActions.UserSessionsEnded, details: new { userId, sessions = ended });
            return ended;
        }, ct);
    }

    /// <summary>Inside another change of the account (its role, disabling it): every open session ends with it.</summary>
    internal static Task<int> EndAllAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long userId, string reason) =>
        connection.ExecuteAsync("update user_sessions set ended_at = now(), ended_reason = @reason where user_id = @userId and ended_at is null",
            new { userId, reason }, transaction);

    public static Guid? SessionOf(ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue(ClaimType), out var id) ? id : null;
}
