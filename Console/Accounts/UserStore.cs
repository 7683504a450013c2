using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Identity;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Data;

namespace ModerationConsole.Accounts;

public sealed record UserAccount(long Id, string Email, string Role, DateTimeOffset CreatedAt, DateTimeOffset? DisabledAt);

public sealed class UserStore(Db db, DemoMode demoMode, ILogger<UserStore> logger)
{
    // ASP.NET Core Identity's hasher: PBKDF2 with a per-password salt and a versioned format that can be upgraded.
    internal static readonly PasswordHasher<string> Hasher = new();

    /// <summary>A person's account as <see cref="UserAccount"/> reads it; the caller adds the WHERE.</summary>
    internal const string SelectAccount = "select id, email, role, created_at as createdat, disabled_at as disabledat from users";
    // Verifying against this when the email is unknown keeps the response time the same, so timing does not reveal accounts.
    private static readonly string DummyHash = Hasher.HashPassword("", "not-a-real-password");

    public const int MinPasswordLength = 12;

    public static IReadOnlyList<string> ValidateNew(string email, string password, string role)
    {
        var errors = new List<string>();
        if (email.Length is < 3 or > 254 || !email.Contains('@') || email.Any(char.IsWhiteSpace) || email.Any(char.IsControl))
            errors.Add("email: must be an email address");
        errors.AddRange(PasswordProblems(password));
        if (!Roles.People.Contains(role)) errors.Add($"role: must be one of {string.Join(", ", Roles.People)}");
        return errors;
    }

    /// <summary>What is wrong with a new password, field-named; none when it will do.</summary>
    public static IReadOnlyList<string> PasswordProblems(string password) =>
        password.Length < MinPasswordLength ? [$"password: must be at least {MinPasswordLength} characters"]
        : password.Length > 1024 ? ["password: must be at most 1024 characters"]
        : [];

    /// <summary>An admin creates a person (the Users page); anyone else is refused here, not only by the page.</summary>
    public Task<UserAccount> CreateAsync(ClaimsPrincipal admin, string email, string password, string role, CancellationToken ct = default) =>
        CreateAsync(email, password, role, admin.ActorUnder(Policies.Admin), ct);

    /// <summary>An admin changes a person's role.</summary>
    public Task<UserAccount> ChangeRoleAsync(ClaimsPrincipal admin, string email, string role, CancellationToken ct = default) =>
        ChangeRoleAsync(email, role, admin.ActorUnder(Policies.Admin), ct);

    /// <summary>An admin disables or enables a person.</summary>
    public Task<UserAccount> SetDisabledAsync(ClaimsPrincipal admin, string email, bool disabled, CancellationToken ct = default) =>
        SetDisabledAsync(email, disabled, admin.ActorUnder(Policies.Admin), ct);

    /// <summary>Creates a person as <paramref name="actor"/> (the command line, or an admin already checked).</summary>
    /// <param name="demo">An account of demo mode, with a public password: it signs in only in demo mode.</param>
    public Task<UserAccount> CreateAsync(string email, string password, string role, Actor actor, CancellationToken ct = default, bool demo = false)
    {
        email = email.Trim();
        var errors = ValidateNew(email, password, role);
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors));

        var hash = Hasher.HashPassword(email, password);
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            if (await connection.ExecuteScalarAsync<bool>("select exists (select 1 from users where lower(email) = lower(@email))", new { email }, transaction))
                throw new ArgumentException($"email: a user with the email '{email}' already exists");
            var user = await connection.QuerySingleAsync<UserAccount>(
                """
                insert into users (email, password_hash, role, demo) values (@email, @hash, @role, @demo)
                returning id, email, role, created_at as createdat, disabled_at as disabledat
                """, new { email, hash, role, demo }, transaction);
            await AuditLog.AppendAsync(connection, transaction, actor, AuditActions.UserCreated,
                details: new { userId = user.Id, user.Email, user.Role });
            return user;
        }, ct);
    }

    /// <summary>The account if the password matches an enabled user; null otherwise. Both outcomes are audited.</summary>
    public Task<UserAccount?> SignInAsync(string email, string password, string? remoteAddress, CancellationToken ct = default) =>
        db.InTransactionAsync(async (connection, transaction) =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<(long Id, string Email, string Role, DateTimeOffset CreatedAt, DateTimeOffset? DisabledAt, string PasswordHash, bool Demo)>(
                "select id, email, role, created_at, disabled_at, password_hash, demo from users where lower(email) = lower(@email)",
                new { email = email.Trim() }, transaction);

            var verified = Hasher.VerifyHashedPassword(row.Email ?? "", row.PasswordHash ?? DummyHash, password) != PasswordVerificationResult.Failed;
            if (row.PasswordHash is null || !verified || row.DisabledAt is not null || (row.Demo && !demoMode.On))
            {
                // A demo account's password is public: outside demo mode it is refused even when it matches, and said so.
                var refusedDemo = verified && row.Demo && !demoMode.On && row.DisabledAt is null;
                var shown = email.Length > 254 ? email[..254] : email;
                await AuditLog.AppendAsync(connection, transaction, Actor.Console, AuditActions.UserLoginFailed,
                    details: refusedDemo ? new { email = shown, remoteAddress, reason = "demo account outside demo mode" } : new { email = shown, remoteAddress });
                if (refusedDemo) logger.LogWarning("Refused a sign-in as demo account {Email}: the console is not in demo mode", row.Email);
                return null;
            }

            await AuditLog.AppendAsync(connection, transaction, Actor.User(row.Id), AuditActions.UserLogin, details: new { remoteAddress });
            return new UserAccount(row.Id, row.Email ?? email, row.Role, row.CreatedAt, row.DisabledAt);
        }, ct);

    /// <summary>The account when it exists and is enabled (and, outside demo mode, is no demo account).</summary>
    public Task<UserAccount?> FindEnabledAsync(long userId, CancellationToken ct = default) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<UserAccount?>(
            $"""
            {SelectAccount}
            where id = @userId and disabled_at is null and (not demo or @demo)
            """, new { userId, demo = demoMode.On }), ct);

    public Task<bool> IsEnabledAsync(long userId, CancellationToken ct = default) =>
        db.ReadAsync(c => c.ExecuteScalarAsync<bool>("select exists (select 1 from users where id = @userId and disabled_at is null)", new { userId }), ct);

    /// <summary>
    /// The person's role now, or null when the account is disabled or gone, the session was ended, or a demo account signs
    /// in outside demo mode: what a signed-in session is checked against.
    /// </summary>
    public Task<string?> CurrentRoleAsync(long userId, Guid session, CancellationToken ct = default) =>
        db.ReadAsync(c => c.ExecuteScalarAsync<string?>(
            """
            select u.role from users u join user_sessions s on s.user_id = u.id
            where u.id = @userId and s.id = @session and s.ended_at is null and u.disabled_at is null and (not u.demo or @demo)
            """, new { userId, session, demo = demoMode.On }), ct);

    /// <summary>The demo accounts that exist and are not disabled (for the start-up warning outside demo mode).</summary>
    public Task<IReadOnlyList<string>> DemoAccountsAsync(CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<string>>(async c => (await c.QueryAsync<string>(
            "select email from users where demo and disabled_at is null order by email")).AsList(), ct);

    public Task<IReadOnlyList<UserAccount>> ListAsync(CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<UserAccount>>(async c => (await c.QueryAsync<UserAccount>(
            SelectAccount + " order by lower(email)")).AsList(), ct);

    /// <summary>Gives the person another role; audited with the old and new role. Their open sessions follow within a minute.</summary>
    public Task<UserAccount> ChangeRoleAsync(string email, string role, Actor actor, CancellationToken ct = default)
    {
        if (!Roles.People.Contains(role)) throw new ArgumentException($"role: must be one of {string.Join(", ", Roles.People)}");
        return UpdateAsync(email, actor, "update users set role = @role where id = @Id", new { role }, AuditActions.UserRoleChanged,
            (before, after) => new { userId = after.Id, after.Email, from = before.Role, to = after.Role }, ct);
    }

    /// <summary>Disables (or enables again) the account; audited. A disabled person cannot sign in and their sessions end.</summary>
    public Task<UserAccount> SetDisabledAsync(string email, bool disabled, Actor actor, CancellationToken ct = default) =>
        UpdateAsync(email, actor,
            disabled ? "update users set disabled_at = coalesce(disabled_at, now()) where id = @Id" : "update users set disabled_at = null where id = @Id",
            new { }, disabled ? AuditActions.UserDisabled : AuditActions.UserEnabled,
            (_, after) => new { userId = after.Id, after.Email }, ct);

    private Task<UserAccount> UpdateAsync(string email, Actor actor, string sql, object values, string action,
        Func<UserAccount, UserAccount, object> details, CancellationToken ct) =>
        db.InTransactionAsync(async (connection, transaction) =>
        {
            var before = await connection.QuerySingleOrDefaultAsync<UserAccount>(SelectAccount + " where lower(email) = lower(@email) for update",
                new { email = email.Trim() }, transaction) ?? throw new ArgumentException($"email: no user with the email '{email}'");
            var parameters = new DynamicParameters(values);
            parameters.Add("Id", before.Id);
            await connection.ExecuteAsync(sql, parameters, transaction);
            // A changed role or a disabled account ends the sessions signed in under what it was.
            if (action is AuditActions.UserRoleChanged or AuditActions.UserDisabled)
                await UserSessions.EndAllAsync(connection, transaction, before.Id, action == AuditActions.UserDisabled ? "account disabled" : "role changed");
            var after = await connection.QuerySingleAsync<UserAccount>(SelectAccount + " where id = @Id", new { before.Id }, transaction);
            await AuditLog.AppendAsync(connection, transaction, actor, action, details: details(before, after));
            return after;
        }, ct);
}
