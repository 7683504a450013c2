using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Data;

namespace ModerationConsole.Accounts;

/// <summary>What the identity provider said about a person signing in: who, and which console role their groups give.</summary>
public sealed record ExternalIdentity(string Subject, string Email, bool EmailVerified, string? Role);

/// <summary>
/// People who sign in through the identity provider: made at their first sign-in, found again by the provider's subject,
/// and given the role their groups map to at every sign-in. A changed role ends their other sessions, as an admin's
/// change does. Every outcome is audited.
/// </summary>
public sealed class ExternalAccounts(Db db)
{
    private const string Via = "single sign-on";

    /// <summary>The account to open a session for, or null (audited with why) when the person may not sign in.</summary>
    public Task<UserAccount?> SignInAsync(ExternalIdentity identity, string? remoteAddress, CancellationToken ct = default) =>
        db.InTransactionAsync<UserAccount?>(async (connection, transaction) =>
        {
            if (identity.Email.Length == 0)
                return await RefuseAsync(connection, transaction, identity, remoteAddress, "the identity provider gave no email");
            if (identity.Role is null)
                return await RefuseAsync(connection, transaction, identity, remoteAddress, "no group at the identity provider maps to a role");

            // The provider's subject first; else a local account of the same, verified, address, which is linked.
            var account = await connection.QuerySingleOrDefaultAsync<UserAccount>(UserStore.SelectAccount + " where external_subject = @Subject for update",
                new { identity.Subject }, transaction);
            if (account is null && identity.EmailVerified)
            {
                account = await connection.QuerySingleOrDefaultAsync<UserAccount>(
                    UserStore.SelectAccount + " where lower(email) = lower(@Email) and external_subject is null for update", new { identity.Email }, transaction);
                if (account is not null)
                    await connection.ExecuteAsync("update users set external_subject = @Subject where id = @Id",
                        new { identity.Subject, account.Id }, transaction);
            }
            if (account is null)
            {
                if (await connection.ExecuteScalarAsync<bool>("select exists (select 1 from users where lower(email) = lower(@Email))", new { identity.Email }, transaction))
                    return await RefuseAsync(connection, transaction, identity, remoteAddress, "the email belongs to another account");
                account = await connection.QuerySingleAsync<UserAccount>(
                    """
                    insert into users (email, password_hash, role, external_subject) values (@Email, null, @Role, @Subject)
                    returning id, email, role, created_at as createdat, disabled_at as disabledat
                    """, new { identity.Email, identity.Role, identity.Subject }, transaction);
                await AuditLog.AppendAsync(connection, transaction, Actor.Console, AuditActions.UserCreated,
                    details: new { userId = account.Id, account.Email, account.Role, via = Via });
            }
            if (account.DisabledAt is not null)
                return await RefuseAsync(connection, transaction, identity, remoteAddress, "the account is disabled");
            if (account.Role != identity.Role)
            {
                await connection.ExecuteAsync("update users set role = @Role where id = @Id", new { identity.Role, account.Id }, transaction);
                await UserSessions.EndAllAsync(connection, transaction, account.Id, "role changed at the identity provider");
                await AuditLog.AppendAsync(connection, transaction, Actor.Console, AuditActions.UserRoleChanged,
                    details: new { userId = account.Id, account.Email, from = account.Role, to = identity.Role, via = Via });
                account = account with { Role = identity.Role };
            }
            await AuditLog.AppendAsync(connection, transaction, Actor.User(account.Id), AuditActions.UserLogin, details: new { remoteAddress, via = Via });
            return account;
        }, ct);

    private static async Task<UserAccount?> RefuseAsync(Npgsql.NpgsqlConnection connection, Npgsql.NpgsqlTransaction transaction,
        ExternalIdentity identity, string? remoteAddress, string reason)
    {
        await AuditLog.AppendAsync(connection, transaction, Actor.Console, AuditActions.UserLoginFailed,
            details: new { email = identity.Email, subject = identity.Subject, remoteAddress, reason, via = Via });
        return null;
    }
}
