using Dapper;
using Microsoft.AspNetCore.Identity;
using ModerationConsole.Audit;
using ModerationConsole.Data;

namespace ModerationConsole.Accounts;

/// <summary>
/// Changing a local account's password: by its owner, who proves the current one, or from the command line (a
/// forgotten password). Either way every other session of the person ends, so a cookie taken before the change stops
/// working; the person changing their own keeps the session they did it from. Audited without any password.
/// </summary>
public sealed class Passwords(Db db)
{
    /// <summary>The person's own change. Returns the problems (field-named), none when it was made.</summary>
    public Task<IReadOnlyList<string>> ChangeOwnAsync(long userId, Guid currentSession, string current, string next, CancellationToken ct = default)
    {
        if (UserStore.PasswordProblems(next) is { Count: > 0 } problems) return Task.FromResult(problems);
        return db.InTransactionAsync<IReadOnlyList<string>>(async (connection, transaction) =>
        {
            var (email, hash) = await connection.QuerySingleOrDefaultAsync<(string Email, string? Hash)>(
                "select email, password_hash from users where id = @userId for update", new { userId }, transaction);
            if (hash is null || UserStore.Hasher.VerifyHashedPassword(email, hash, current) == PasswordVerificationResult.Failed)
            {
                await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), AuditActions.UserPasswordChangeRefused);
                return ["current: is not the account's password"];
            }
            await SetAsync(connection, transaction, userId, email, next, keep: currentSession, Actor.User(userId));
            return [];
        }, ct);
    }

    /// <summary>Sets a person's password from the command line and ends all their sessions.</summary>
    public Task<UserAccount> SetAsync(string email, string next, Actor actor, CancellationToken ct = default)
    {
        if (UserStore.PasswordProblems(next) is { Count: > 0 } problems) throw new ArgumentException(string.Join("; ", problems));
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var account = await connection.QuerySingleOrDefaultAsync<UserAccount>(
                UserStore.SelectAccount + " where lower(email) = lower(@email) for update",
                new { email = email.Trim() }, transaction) ?? throw new ArgumentException($"email: no user with the email '{email}'");
            await SetAsync(connection, transaction, account.Id, account.Email, next, keep: null, actor);
            return account;
        }, ct);
    }

    private static async Task SetAsync(Npgsql.NpgsqlConnection connection, Npgsql.NpgsqlTransaction transaction, long userId, string email,
        string next, Guid? keep, Actor actor)
    {
        await connection.ExecuteAsync("update users set password_hash = @hash where id = @userId",
            new { userId, hash = UserStore.Hasher.HashPassword(email, next) }, transaction);
        var ended = await connection.ExecuteAsync(
            "update user_sessions set ended_at = now(), ended_reason = 'password changed' where user_id = @userId and ended_at is null and id is distinct from @keep",
            new { userId, keep }, transaction);
        await AuditLog.AppendAsync(connection, transaction, actor, AuditActions.UserPasswordChanged, details: new { userId, email, sessionsEnded = ended });
    }
}
