using System.Security.Claims;
using Dapper;
using Microsoft.Extensions.Options;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Decisions;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using Npgsql;

namespace ModerationConsole.Review;

/// <summary>
/// A moderator's decision waits out its undo window (<see cref="QueueOptions.UndoWindow"/>) in held_decisions: the item
/// is closed and the decision audited at once, but the producer hears nothing and the user gets no strike until the
/// window ends and <see cref="ReleaseDueAsync"/> writes it as a decision. An undo in the window deletes it and gives the
/// item back to the moderator, audited as such; after the window only a senior's overturn changes it.
/// </summary>
public sealed class HeldDecisions(Db db, DecisionWriter decisions, IOptions<QueueOptions> options)
{
    public TimeSpan Window => options.Value.UndoWindow;

    /// <summary>
    /// Holds the decisions of one action (the held item first, then the near-duplicates decided with it) in the caller's
    /// transaction, each with its audit entry; the items must be closed by the caller in the same transaction. Returns
    /// when the window ends.
    /// </summary>
    internal static async Task<DateTimeOffset> HoldAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<(PendingDecision Decision, string Queue)> held,
        TimeSpan window)
    {
        var groupItemId = held[0].Decision.ItemId;
        return await connection.ExecuteScalarAsync<DateTimeOffset>(
            $"""
            with held as (
                insert into held_decisions (group_item_id, item_id, queue, producer_id, user_id, decision, categories, reason, note, decided_by, release_at, outcome)
                select @groupItemId, item_id, queue, producer_id, user_id, @decision, @categories, @reason, note, @decidedBy, now() + @window, @outcome
                from unnest(@itemIds::bigint[], @queues::text[], @producerIds::bigint[], @userIds::text[], @notes::text[])
                     as h (item_id, queue, producer_id, user_id, note)
                returning item_id, release_at),
            audited as (
                {AuditLog.Insert}
                select 'user', @decidedBy::text, @action, item_id,
                       jsonb_build_object('decision', @decision, 'categories', @categories, 'releaseAt', release_at)
                       || jsonb_strip_nulls(jsonb_build_object('outcome', @outcome::text))
                from held)
            select max(release_at) from held
            """,
            new
            {
                groupItemId, window, decision = held[0].Decision.Decision, categories = held[0].Decision.Categories.ToArray(),
                reason = held[0].Decision.Reason, decidedBy = held[0].Decision.DecidedBy, action = AuditActions.DecisionHeld,
                outcome = held[0].Decision.Outcome,
                itemIds = held.Select(h => h.Decision.ItemId).ToArray(), queues = held.Select(h => h.Queue).ToArray(),
                producerIds = held.Select(h => h.Decision.ProducerId).ToArray(), userIds = held.Select(h => h.Decision.PlatformUserId).ToArray(),
                notes = held.Select(h => h.Decision.Note).ToArray(),
            }, transaction);
    }

    /// <summary>
    /// Takes back the moderator's own decision on <paramref name="itemId"/> (and the near-duplicates decided with it) while
    /// its window lasts: nothing is sent, the item is claimed for them again (the near-duplicates go back to their queues),
    /// and each undo is audited. Returns the new claim.
    /// </summary>
    public Task<ItemClaim> UndoAsync(ClaimsPrincipal user, long itemId, CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.Review, "Your role may not decide items.");
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var undone = (await connection.QueryAsync<(long ItemId, string Queue, string Decision)>(
                """
                delete from held_decisions where group_item_id = @itemId and decided_by = @userId and release_at > now()
                returning item_id, queue, decision
                """, new { itemId, userId }, transaction)).ToList();
            if (!undone.Any(u => u.ItemId == itemId))
            {
                var sent = await connection.ExecuteScalarAsync<DateTimeOffset?>(
                    "select max(decided_at) from decisions where item_id = @itemId and decided_by = @userId", new { itemId, userId }, transaction);
                throw new ReviewException(sent is null
                    ? $"There is no decision of yours on item #{itemId} to undo."
                    : $"Too late to undo: the decision on item #{itemId} has been sent to the platform. A senior can overturn it.");
            }
            var primary = undone.Single(u => u.ItemId == itemId);
            if (!user.Satisfies(Policies.ForQueue(primary.Queue)))
                throw new UnauthorizedAccessException($"Your role may not work the {primary.Queue} queue.");
            var claim = await connection.QuerySingleAsync<ItemClaim>(
                """
                update review_items set status = 'pending', queue = @Queue, claimed_by = @userId, claim_token = gen_random_uuid(),
                       claim_expires_at = now() + @lease
                where id = @ItemId
                returning id as itemid, claim_token as token, claim_expires_at as expiresat, producer_id as producerid, user_id as platformuserid
                """, new { primary.ItemId, primary.Queue, userId, lease = options.Value.LeaseDuration }, transaction);
            var others = undone.Where(u => u.ItemId != itemId).ToList();
            if (others.Count > 0)
                await connection.ExecuteAsync(
                    """
                    update review_items r set status = 'pending', queue = u.queue, claimed_by = null, claim_token = null, claim_expires_at = null
                    from unnest(@itemIds::bigint[], @queues::text[]) as u (item_id, queue) where r.id = u.item_id
                    """, new { itemIds = others.Select(o => o.ItemId).ToArray(), queues = others.Select(o => o.Queue).ToArray() }, transaction);
            foreach (var item in undone)
                await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), AuditActions.DecisionUndone, item.ItemId,
                    new { item.Decision, withItem = item.ItemId == itemId ? (long?)null : itemId });
            await QueueSignals.NotifyAsync(connection, transaction);
            return claim;
        }, ct);
    }

    /// <summary>
    /// Writes the held decisions whose window has ended as decisions (with strikes, enforcement and the push to the
    /// producer), whole actions at a time; several instances may run it at once, each taking different rows. Returns how
    /// many it wrote.
    /// </summary>
    public Task<int> ReleaseDueAsync(CancellationToken ct = default) =>
        db.InTransactionAsync(async (connection, transaction) =>
        {
            var due = (await connection.QueryAsync<HeldRow>(
                """
                delete from held_decisions where id in (
                    select id from held_decisions
                    where group_item_id in (select group_item_id from held_decisions where release_at <= now() order by release_at limit 100)
                    for update skip locked)
                returning item_id as itemid, producer_id as producerid, user_id as platformuserid, decision, categories, reason, note,
                          decided_by as decidedby, decided_at as decidedat, group_item_id as groupitemid, outcome
                """, transaction: transaction)).OrderBy(r => r.GroupItemId).ThenBy(r => r.ItemId != r.GroupItemId).ThenBy(r => r.ItemId).ToList();
            if (due.Count == 0) return 0;
            var policy = due.Any(d => d.Decision == DecisionKinds.Blocked || d.Outcome is not null)
                ? (await PolicyStore.LoadActiveAsync(connection, transaction)).Document : null;
            // A restriction's strike weight is the policy's when the window ends, as a block's category weights are.
            await decisions.WriteAsync(connection, transaction, due.Select(d => d.ToPending() with
            {
                OutcomeStrikeWeight = d.Outcome is { } outcome ? policy!.FindOutcome(outcome)?.StrikeWeight ?? 0 : 0,
            }).ToList(), policy);
            return due.Count;
        }, ct);

    // Settable properties: Dapper reads text[] as an array it assigns to a property, not to a constructor parameter.
    private sealed class HeldRow
    {
        public long ItemId { get; init; }
        public long ProducerId { get; init; }
        public string PlatformUserId { get; init; } = "";
        public string Decision { get; init; } = "";
        public string[] Categories { get; init; } = [];
        public string Reason { get; init; } = "";
        public string? Note { get; init; }
        public long DecidedBy { get; init; }
        public DateTimeOffset DecidedAt { get; init; }
        public long GroupItemId { get; init; }
        public string? Outcome { get; init; }

        public PendingDecision ToPending() =>
            new(ItemId, ProducerId, PlatformUserId, Decision, Categories, Reason, Note, DecidedBy, DecidedAt: DecidedAt, Outcome: Outcome);
    }
}

/// <summary>Writes held decisions as their undo windows end, on every instance (they share the work, see <see cref="HeldDecisions.ReleaseDueAsync"/>).</summary>
public sealed class HeldDecisionRelease(HeldDecisions held, ILogger<HeldDecisionRelease> logger) : BackgroundService
{
    /// <summary>How often due decisions are looked for: a decision reaches the producer at most this long after its window.</summary>
    public static readonly TimeSpan Every = TimeSpan.FromMilliseconds(500);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every);
        do
        {
            try
            {
                while (await held.ReleaseDueAsync(stoppingToken) > 0) { }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Held decisions could not be released; trying again");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
