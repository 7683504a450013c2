using System.Security.Claims;
using Dapper;
using Microsoft.Extensions.Options;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Decisions;
using ModerationConsole.Policy;
using Npgsql;

namespace ModerationConsole.Queue;

/// <summary>
/// A moderator's hold on one item: the token proves the hold when deciding. The item's producer and platform user
/// (which never change) come along, so that a decision can be written without first reading the item back.
/// </summary>
public sealed record ItemClaim(long ItemId, Guid Token, DateTimeOffset ExpiresAt, long ProducerId, string PlatformUserId);

/// <summary>
/// Claims with leases. The next item is the most severe, then the oldest, that nobody holds; FOR UPDATE SKIP LOCKED
/// lets many moderators claim at once without waiting on or ever sharing a row. An expired lease makes the item
/// claimable again with no sweeper needed: the claim query looks at the best item nobody holds and the best one whose
/// lease ran out (each through its own index, see db/0006_claimable_queue.sql) and takes the better of the two; the
/// other one's row lock ends with the statement.
/// </summary>
public sealed class ClaimService(Db db, IOptions<QueueOptions> options)
{
    private TimeSpan Lease => options.Value.LeaseDuration;

    /// <remarks>
    /// One round trip that also commits: the item already held (a moderator who reloads the page gets it back), else
    /// the next free one, its lease, and the claim's audit entry, all or nothing.
    /// A claim commits without waiting for the disk (synchronous_commit off for this transaction only). A claim is a
    /// lease, not evidence: a crash can forget the last few milliseconds of claims, each with its audit entry, and those
    /// items are simply free again. It can never forget a claim that anything was built on: the decision on an item, like
    /// every other write, commits synchronously, and flushing its commit flushes the earlier claim's with it.
    /// </remarks>
    public Task<ItemClaim?> ClaimNextAsync(ClaimsPrincipal user, string queue, CancellationToken ct = default) =>
        ClaimAsync(user, queue, except: null, ct);

    /// <summary>
    /// The item after <paramref name="current"/>, claimed ahead: the review screen reads it and fetches its image while
    /// the moderator decides the current one, and shows it the moment they do. A moderator holds at most one item ahead
    /// (asked again, this returns the one they hold); null when nothing else is free. It is an ordinary claim, audited
    /// and leased: renewed while the screen is open, free again if it closes.
    /// </summary>
    public Task<ItemClaim?> ClaimAheadAsync(ClaimsPrincipal user, string queue, ItemClaim current, CancellationToken ct = default) =>
        ClaimAsync(user, queue, except: current.ItemId, ct);

    private Task<ItemClaim?> ClaimAsync(ClaimsPrincipal user, string queue, long? except, CancellationToken ct)
    {
        Authorize(user, queue);
        var userId = user.UserId();
        return db.InOneRoundTripAsync(async connection =>
        {
            var actor = Actor.User(userId);
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    BatchCommand.Of("select set_config('synchronous_commit', 'off', true)"),
                    BatchCommand.Of(ClaimSql, ("queue", queue), ("userId", userId), ("lease", Lease), ("except", except ?? 0L), ("ahead", except is not null),
                        ("actorKind", actor.KindText), ("actorId", actor.Id), ("action", AuditActions.ItemClaimed)),
                },
            };
            ItemClaim? claim = null;
            var fresh = false;
            await using (var reader = await batch.ExecuteReaderAsync(ct))
            {
                await reader.NextResultAsync(ct);
                if (await reader.ReadAsync(ct))
                {
                    claim = new ItemClaim(reader.GetInt64(0), reader.GetGuid(1), reader.GetFieldValue<DateTimeOffset>(2),
                        reader.GetInt64(3), reader.GetString(4));
                    fresh = reader.GetBoolean(5);
                }
            }
            // Only a new claim changes the queues; getting back the held item does not.
            if (fresh) await QueueSignals.NotifyAsync(connection, null);
            return claim;
        }, ct);
    }

    private const string ClaimSql =
        $"""
        with held as (
            select id, claim_token, claim_expires_at, producer_id, user_id from review_items
            where status = 'pending' and queue = @queue and claimed_by = @userId and claim_expires_at > now() and id <> @except
            order by priority desc, received_at, id limit 1),
        free as (
            select id, priority, received_at from review_items
            where status = 'pending' and queue = @queue and claimed_by is null and not exists (select 1 from held)
              and not exists (select 1 from item_skips s where s.item_id = review_items.id and s.user_id = @userId and s.hidden_until > now())
            order by priority desc, received_at, id limit 1
            for update skip locked),
        expired as (
            select id, priority, received_at from review_items
            where status = 'pending' and queue = @queue and claimed_by is not null and claim_expires_at <= now()
              and not exists (select 1 from held)
              and not exists (select 1 from item_skips s where s.item_id = review_items.id and s.user_id = @userId and s.hidden_until > now())
            order by priority desc, received_at, id limit 1
            for update skip locked),
        next as (
            select id from (select * from free union all select * from expired) candidates
            order by priority desc, received_at, id limit 1),
        claimed as (
            update review_items r
            set claimed_by = @userId, claim_token = gen_random_uuid(), claim_expires_at = now() + @lease
            from next where r.id = next.id
            returning r.id, r.claim_token, r.claim_expires_at, r.producer_id, r.user_id),
        audited as (
            {AuditLog.Insert}
            select @actorKind, @actorId, @action, id, jsonb_build_object('queue', @queue::text, 'expiresAt', claim_expires_at, 'ahead', @ahead)
            from claimed)
        select id, claim_token, claim_expires_at, producer_id, user_id, true as fresh from claimed
        union all
        select id, claim_token, claim_expires_at, producer_id, user_id, false from held
        """;

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

    /// <summary>Frees the item the caller still holds under this claim's token; no row when the claim was lost.</summary>
    private const string ReleaseHeldSql =
        """
        update review_items set claimed_by = null, claim_token = null, claim_expires_at = null
        where id = @itemId and status = 'pending' and claimed_by = @userId and claim_token = @token
        """;

    /// <summary>Hands a held item back to its queue, e.g. when the moderator leaves the review screen.</summary>
    public Task ReleaseAsync(ClaimsPrincipal user, ItemClaim claim, CancellationToken ct = default)
    {
        var userId = user.UserId();
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var released = await connection.ExecuteAsync(ReleaseHeldSql, new { claim.ItemId, userId, claim.Token }, transaction);
            if (released == 0) return 0;
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), AuditActions.ItemReleased, claim.ItemId);
            await QueueSignals.NotifyAsync(connection, transaction);
            return released;
        }, ct);
    }

    public const int MaxSkipReasonLength = 500;

    /// <summary>
    /// Hands the held item back without deciding it, with an optional reason: others may claim it at once; this
    /// moderator is not offered it again for <see cref="QueueOptions.SkipHidesFor"/>. False when the claim was lost.
    /// </summary>
    public Task<bool> SkipAsync(ClaimsPrincipal user, ItemClaim claim, string? reason, CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.Review, "Your role may not review items.");
        reason = string.IsNullOrWhiteSpace(reason) ? null : reason.Trim();
        if (reason is { Length: > MaxSkipReasonLength })
            throw new ArgumentException($"reason: at most {MaxSkipReasonLength} characters (it has {reason.Length})");
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var hiddenUntil = await connection.QuerySingleOrDefaultAsync<DateTimeOffset?>(
                $"""
                with released as ({ReleaseHeldSql} returning id)
                insert into item_skips (item_id, user_id, hidden_until, reason)
                select id, @userId, now() + @hide, @reason from released
                returning hidden_until
                """, new { claim.ItemId, userId, claim.Token, hide = options.Value.SkipHidesFor, reason }, transaction);
            if (hiddenUntil is null) return false;
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), AuditActions.ItemSkipped, claim.ItemId, new { reason, hiddenUntil });
            await QueueSignals.NotifyAsync(connection, transaction);
            return true;
        }, ct);
    }

    private static void Authorize(ClaimsPrincipal user, string queue)
    {
        if (!Queues.All.Contains(queue)) throw new ArgumentException($"queue: unknown queue '{queue}'");
        if (!user.Satisfies(Policies.ForQueue(queue)))
            throw new UnauthorizedAccessException($"Your role may not work the {queue} queue.");
    }
}
