using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using Npgsql;
using OtpNet;

namespace ModerationConsole.Accounts;

/// <summary>
/// The second factor of local accounts: a TOTP authenticator app (RFC 6238, 6 digits every 30 s, via Otp.NET) and ten
/// single-use recovery codes. Enrolment, every refused code, every recovery code used and an admin's reset are audited.
/// </summary>
public sealed class SecondFactor(Db db, TimeProvider time)
{
    public const int RecoveryCodeCount = 10;
    private const string Issuer = "Moderation Console";
    private const string RecoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"; // no 0/o, 1/l/i to misread
    // One step either side: a phone's clock a little off, or a code typed as it turned over, still counts.
    private static readonly VerificationWindow Window = new(previous: 1, future: 1);

    public Task<bool> IsEnrolledAsync(long userId, CancellationToken ct = default) =>
        db.ReadAsync(c => c.ExecuteScalarAsync<bool>("select totp_enabled_at is not null from users where id = @userId", new { userId }), ct);

    /// <summary>The secret shown on the enrolment page: made once and kept until the person proves they hold it.</summary>
    public Task<byte[]> PendingSecretAsync(long userId, CancellationToken ct = default) =>
        db.InTransactionAsync((connection, transaction) => connection.ExecuteScalarAsync<byte[]>(
            "update users set totp_pending_secret = coalesce(totp_pending_secret, @fresh) where id = @userId returning totp_pending_secret",
            new { userId, fresh = KeyGeneration.GenerateRandomKey(20) }, transaction), ct)!;

    /// <summary>What an authenticator app scans: the account, the secret and the issuer.</summary>
    public static string OtpAuthUri(string email, byte[] secret) =>
        $"otpauth://totp/{Uri.EscapeDataString(Issuer)}:{Uri.EscapeDataString(email)}?secret={Base32Encoding.ToString(secret)}" +
        $"&issuer={Uri.EscapeDataString(Issuer)}&digits=6&period=30";

    /// <summary>The secret as people type it: base32 in groups of four.</summary>
    public static string Readable(byte[] secret) => string.Join(' ', Base32Encoding.ToString(secret).Chunk(4).Select(c => new string(c)));

    /// <summary>
    /// Turns the pending secret on when <paramref name="code"/> is its current code, and returns the new recovery codes
    /// (shown once); null, audited, when the code is wrong or the person already has a second factor: replacing one
    /// takes an admin's reset, so a session taken over cannot swap in the taker's phone.
    /// </summary>
    public Task<IReadOnlyList<string>?> EnrolAsync(long userId, string code, CancellationToken ct = default) =>
        db.InTransactionAsync<IReadOnlyList<string>?>(async (connection, transaction) =>
        {
            var (pending, enrolled) = await connection.QuerySingleOrDefaultAsync<(byte[]? Pending, bool Enrolled)>(
                "select totp_pending_secret, totp_enabled_at is not null from users where id = @userId for update", new { userId }, transaction);
            if (enrolled || pending is null || !Matches(pending, code, 0, out var step))
            {
                await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), AuditActions.UserSecondFactorFailed,
                    details: new { stage = "enrolment" });
                return null;
            }
            await connection.ExecuteAsync(
                """
                update users set totp_secret = totp_pending_secret, totp_pending_secret = null, totp_enabled_at = now(), totp_last_step = @step
                where id = @userId
                """, new { userId, step }, transaction);
            var codes = await NewRecoveryCodesAsync(connection, transaction, userId);
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), AuditActions.UserSecondFactorEnrolled,
                details: new { recoveryCodes = codes.Count });
            return codes;
        }, ct);

    /// <summary>
    /// True when <paramref name="code"/> is the authenticator's current code, not used before, or an unused recovery
    /// code (then used up). Each outcome but a plain success is audited.
    /// </summary>
    public Task<bool> VerifyAsync(long userId, string code, CancellationToken ct = default) =>
        db.InTransactionAsync(async (connection, transaction) =>
        {
            var (secret, lastStep) = await connection.QuerySingleOrDefaultAsync<(byte[]? Secret, long LastStep)>(
                "select totp_secret, totp_last_step from users where id = @userId for update", new { userId }, transaction);
            if (secret is null) return false;
            if (Matches(secret, code, lastStep, out var step))
            {
                await connection.ExecuteAsync("update users set totp_last_step = @step where id = @userId", new { userId, step }, transaction);
                return true;
            }
            var used = await connection.ExecuteAsync(
                "update recovery_codes set used_at = now() where user_id = @userId and code_hash = @hash and used_at is null",
                new { userId, hash = RecoveryHash(code) }, transaction);
            if (used == 1)
            {
                var left = await connection.ExecuteScalarAsync<int>(
                    "select count(*) from recovery_codes where user_id = @userId and used_at is null", new { userId }, transaction);
                await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), AuditActions.UserRecoveryCodeUsed, details: new { left });
                return true;
            }
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), AuditActions.UserSecondFactorFailed, details: new { stage = "sign-in" });
            return false;
        }, ct);

    /// <summary>
    /// An admin clears a person's second factor (a lost phone): their recovery codes go and their sessions end; where
    /// the role requires a second factor, their next sign-in enrols a new one.
    /// </summary>
    /// <returns>The email of the person whose second factor was reset.</returns>
    public Task<string> ResetAsync(ClaimsPrincipal admin, long userId, CancellationToken ct = default)
    {
        var actor = admin.ActorUnder(Policies.Admin);
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var email = await connection.ExecuteScalarAsync<string?>(
                """
                update users set totp_secret = null, totp_pending_secret = null, totp_enabled_at = null, totp_last_step = 0
                where id = @userId returning email
                """, new { userId }, transaction) ?? throw new ArgumentException($"user: no user with the id {userId}");
            await connection.ExecuteAsync("delete from recovery_codes where user_id = @userId", new { userId }, transaction);
            await UserSessions.EndAllAsync(connection, transaction, userId, "second factor reset");
            await AuditLog.AppendAsync(connection, transaction, actor, AuditActions.UserSecondFactorReset, details: new { userId, email });
            return email;
        }, ct);
    }

    /// <summary>The ids of the people who have a second factor, for the admins' list.</summary>
    public Task<IReadOnlySet<long>> EnrolledAsync(CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlySet<long>>(async c =>
            (await c.QueryAsync<long>("select id from users where totp_enabled_at is not null")).ToHashSet(), ct);

    /// <summary>A 6-digit code of <paramref name="secret"/> in the window around now, from a step after <paramref name="after"/>.</summary>
    private bool Matches(byte[] secret, string code, long after, out long step)
    {
        step = 0;
        var digits = code.Replace(" ", "", StringComparison.Ordinal);
        if (digits.Length != 6 || !digits.All(char.IsAsciiDigit)) return false;
        return new Totp(secret).VerifyTotp(time.GetUtcNow().UtcDateTime, digits, out step, Window) && step > after;
    }

    private static async Task<IReadOnlyList<string>> NewRecoveryCodesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long userId)
    {
        await connection.ExecuteAsync("delete from recovery_codes where user_id = @userId", new { userId }, transaction);
        var codes = Enumerable.Range(0, RecoveryCodeCount)
            .Select(_ => RandomNumberGenerator.GetString(RecoveryAlphabet, 10).Insert(5, "-"))
            .ToList();
        await connection.ExecuteAsync("insert into recovery_codes (user_id, code_hash) values (@userId, @hash)",
            codes.Select(code => new { userId, hash = RecoveryHash(code) }), transaction);
        return codes;
    }

    // 49 random bits a code: a fast hash is enough, as for API keys.
    private static string RecoveryHash(string code) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(code.Trim().ToLowerInvariant().Replace("-", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal))));
}
