using System.Security.Claims;
using Dapper;
using Microsoft.Extensions.Options;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Decisions;
using ModerationConsole.Policy;

namespace ModerationConsole.Queue;

/// <summary>A moderator's hold on one item: the token proves the hold when deciding.</summary>
public sealed record ItemClaim(long ItemId, Guid Token, DateTimeOffset ExpiresAt);

/// <summary>
/// Claims with leases. The next item is the most severe, then the oldest, that nobody holds; FOR UPDATE SKIP LOCKED
/// lets many moderators claim at once without waiting on or ever sharing a row. An expired lease makes the item
/// claimable again with no sweeper needed: the claim query treats it as free.
/// </summary>
public sealed class ClaimService(Db db, IOptions<QueueOptions> options)
{
    private TimeSpan Lease => options.Value.LeaseDuration;

    public Task<ItemClaim?> ClaimNextAsync(ClaimsPrincipal user, string queue, CancellationToken ct = default)
    {
        Authorize(user, queue);
        var userId = user.UserId();
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            // A moderator who reloads the page gets back the item they already hold.
            var held = await connection.QuerySingleOrDefaultAsync<ItemClaim>(
                """
                select id as itemid, claim_token as token, claim_expires_at as expiresat from review_items
                where status = 'pending' and queue = @queue and claimed_by = @userId and claim_expires_at > now()
                order by priority desc, received_at, id limit 1
                """, new { queue, userId }, transaction);
            if (held is not null) return held;

            var claim = await connection.QuerySingleOrDefaultAsync<ItemClaim>(
                """
                with next as (
                    select id from review_items
                    where status = 'pending' and queue = @queue and (claim_expires_at is null or claim_expires_at <= now())
                    order by priority desc, received_at, id
                    limit 1
                    for update skip locked)
                update review_items r
                set claimed_by = @userId, claim_token = gen_random_uuid(), claim_expires_at = now() + @lease
                from next where r.id = next.id
                returning r.id as itemid, r.claim_token as token, r.claim_expires_at as expiresat
                """, new { queue, userId, lease = Lease }, transaction);
            if (claim is null) return null;

            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), AuditActions.ItemClaimed, claim.ItemId,
                new { queue, expiresAt = claim.ExpiresAt });
            await QueueSignals.NotifyAsync(connection, transaction);
            return claim;
        }, ct);
    }

    /// <summary>Extends a live claim; false when it was lost (expired and possibly re-claimed, or decided).</summary>
    public async Task<ItemClaim?> RenewAsync(ClaimsPrincipal user, ItemClaim claim, CancellationToken ct = default)
    {
        var userId = user.UserId();
        var expiresAt = await db.InTransactionAsync((connection, transaction) => connection.QuerySingleOrDefaultAsync<DateTimeOffset?>(
            """
            update review_items set claim_expires_at = now() + @lease
            where id = @itemId and status = 'pending' and claimed_by = @userId and claim_token = @token and claim_expires_at > now()
            returning claim_expires_at
            """, new { claim.ItemId, userId, claim.Token, lease = Lease }, transaction), ct);
        return expiresAt is { } at ? claim with { ExpiresAt = at } : null;
    }

    /// <summary>Hands a held item back to its queue, e.g. when the moderator leaves the review screen.</summary>
    public Task ReleaseAsync(ClaimsPrincipal user, ItemClaim claim, CancellationToken ct = default)
    {
        var userId = user.UserId();
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var released = await connection.ExecuteAsync(
                """
                update review_items set claimed_by = null, claim_token = null, claim_expires_at = null
                where id = @itemId and status = 'pending' and claimed_by = @userId and claim_token = @token
                """, new { claim.ItemId, userId, claim.Token }, transaction);
            if (released == 0) return 0;
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), AuditActions.ItemReleased, claim.ItemId);
            await QueueSignals.NotifyAsync(connection, transaction);
            return released;
        }, ct);
    }

    private static void Authorize(ClaimsPrincipal user, string queue)
    {
        if (!Queues.All.Contains(queue)) throw new ArgumentException($"queue: unknown queue '{queue}'");
        if (!user.Satisfies(Policies.ForQueue(queue)))
            throw new UnauthorizedAccessException($"Your role may not work the {queue} queue.");
    }
}
