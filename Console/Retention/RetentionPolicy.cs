using System.Security.Claims;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Data;

namespace ModerationConsole.Retention;

/// <summary>How many days decided content is kept; null keeps it. See <see cref="RetentionPolicies"/>.</summary>
public sealed record RetentionPolicy(int? ApprovedImageDays, int? BlockedImageDays, int? PromptDays);

/// <summary>What the next purge would remove under the policy now, and what holds keep.</summary>
public sealed record RetentionPreview(long Images, long Prompts, long HeldItems, long HoldsInForce);

public sealed class RetentionException(string message) : Exception(message);

/// <summary>The retention policy (one row, edited by admins and audited) and the preview of what it removes next.</summary>
public sealed class RetentionPolicies(Db db)
{
    public const string PolicyChanged = "retention.policy_changed";
    public const int MaxDays = 36_500;

    /// <summary>
    /// SQL true for an image <c>i</c> retention may remove now: no item showing it is kept (retention_due, db/0022) under
    /// @ApprovedImageDays and @BlockedImageDays. The preview counts what the purge removes with the very same condition.
    /// </summary>
    internal const string ImageDueSql =
        """
        not exists (select 1 from review_items o where o.image_sha256 = i.sha256
                    and not retention_due(o.id, @ApprovedImageDays, @BlockedImageDays))
        """;

    /// <summary>Reads the policy's one row as a <see cref="RetentionPolicy"/>.</summary>
    internal const string SelectSql =
        "select approved_image_days as approvedimagedays, blocked_image_days as blockedimagedays, prompt_days as promptdays from retention_policy";

    public Task<RetentionPolicy> ReadAsync(CancellationToken ct = default) =>
        db.ReadAsync(c => c.QuerySingleAsync<RetentionPolicy>(SelectSql), ct);

    public Task SaveAsync(ClaimsPrincipal user, RetentionPolicy policy, CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.Admin, "Only admins change the retention policy.");
        foreach (var (field, days) in new[] { ("approvedImageDays", policy.ApprovedImageDays), ("blockedImageDays", policy.BlockedImageDays),
                     ("promptDays", policy.PromptDays) })
            if (days is < 1 or > MaxDays) throw new RetentionException($"{field}: between 1 and {MaxDays} days, or empty to keep it.");
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var before = await connection.QuerySingleAsync<RetentionPolicy>($"{SelectSql} for update", transaction: transaction);
            await connection.ExecuteAsync(
                """
                update retention_policy set approved_image_days = @ApprovedImageDays, blocked_image_days = @BlockedImageDays,
                       prompt_days = @PromptDays, changed_by = @userId, changed_at = now()
                """, new { policy.ApprovedImageDays, policy.BlockedImageDays, policy.PromptDays, userId }, transaction);
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), PolicyChanged, null, new { before, after = policy });
            return 0;
        }, ct);
    }

    public Task<RetentionPreview> PreviewAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        user.UserIdUnder(Policies.Admin, "Only admins see the retention preview.");
        return db.ReadAsync(async c =>
        {
            var policy = await c.QuerySingleAsync<RetentionPolicy>(SelectSql);
            return await c.QuerySingleAsync<RetentionPreview>(
                $"""
                select (select count(*) from images i where i.purged_at is null
                          and exists (select 1 from review_items r where r.image_sha256 = i.sha256)
                          and {ImageDueSql}) as images,
                       (select count(*) from review_items r where r.content_purged_at is null and r.status = 'decided'
                          and retention_due(r.id, @PromptDays, @PromptDays)) as prompts,
                       (select count(*) from review_items r where r.status = 'decided' and item_is_held(r.id)) as helditems,
                       (select count(*) from legal_holds h where h.released_at is null and (h.ends_at is null or h.ends_at > now())) as holdsinforce
                """, policy);
        }, ct);
    }
}
