using System.Security.Claims;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Decisions;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using Npgsql;

namespace ModerationConsole.Review;

/// <summary>
/// Approve, block and escalate. Each checks on the server that the caller still holds a live claim on the item and may
/// work its queue, then writes the change, its audit entry and (for final decisions) the decision for the producer in
/// one transaction. A decision on a lost lease is refused and changes nothing.
/// </summary>
public sealed class ReviewActions(Db db, DecisionWriter decisions)
{
    public const int MaxNoteLength = 2000;

    public Task ApproveAsync(ClaimsPrincipal user, ItemClaim claim, string? note, CancellationToken ct = default) =>
        DecideAsync(user, claim, DecisionKinds.Approved, [], note, ct);

    public Task BlockAsync(ClaimsPrincipal user, ItemClaim claim, IReadOnlyList<string> categories, string? note, CancellationToken ct = default)
    {
        if (categories.Count == 0) throw new ReviewException("Choose at least one policy category to block.");
        return DecideAsync(user, claim, DecisionKinds.Blocked, categories, note, ct);
    }

    public Task EscalateAsync(ClaimsPrincipal user, ItemClaim claim, string? note, CancellationToken ct = default)
    {
        var userId = ReviewerId(user);
        note = CheckNote(note);
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var held = await LockHeldItemAsync(connection, transaction, user, userId, claim);
            if (held.Queue == Queues.Escalation)
                throw new ReviewException("This item is already in the escalation queue; approve or block it.");
            await connection.ExecuteAsync(
                """
                update review_items set queue = 'escalation', claimed_by = null, claim_token = null, claim_expires_at = null
                where id = @ItemId
                """, claim, transaction);
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), AuditActions.ItemEscalated, claim.ItemId, new { note });
            await QueueSignals.NotifyAsync(connection, transaction);
            return 0;
        }, ct);
    }

    private Task DecideAsync(ClaimsPrincipal user, ItemClaim claim, string decision, IReadOnlyList<string> categories, string? note, CancellationToken ct)
    {
        var userId = ReviewerId(user);
        note = CheckNote(note);
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var held = await LockHeldItemAsync(connection, transaction, user, userId, claim);
            var policy = await PolicyStore.LoadActiveAsync(connection, transaction);
            var unknown = categories.Where(c => policy.Document.Find(c) is null).ToList();
            if (unknown.Count > 0) throw new ReviewException($"Unknown policy category: {string.Join(", ", unknown)}.");

            await connection.ExecuteAsync(
                """
                update review_items set status = 'decided', queue = null, claimed_by = null, claim_token = null, claim_expires_at = null
                where id = @ItemId
                """, claim, transaction);
            var reason = decision == DecisionKinds.Blocked
                ? PendingDecision.StatementOfReasons(policy.Document, categories)
                : PendingDecision.ApprovedReason;
            await decisions.WriteAsync(connection, transaction,
                [new PendingDecision(claim.ItemId, held.ProducerId, held.UserId, decision, categories, reason, note, userId)]);
            await QueueSignals.NotifyAsync(connection, transaction);
            return 0;
        }, ct);
    }

    private sealed record HeldItem(string Status, string? Queue, long? ClaimedBy, Guid? ClaimToken, bool LeaseLive, long ProducerId, string UserId);

    /// <summary>Locks the item row and checks, in this order, that it is undecided, held by this claim, live, and in a queue the caller may work.</summary>
    private static async Task<HeldItem> LockHeldItemAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        ClaimsPrincipal user, long userId, ItemClaim claim)
    {
        var item = await connection.QuerySingleOrDefaultAsync<HeldItem>(
            """
            select status, queue, claimed_by as claimedby, claim_token as claimtoken,
                   coalesce(claim_expires_at > now(), false) as leaselive, producer_id as producerid, user_id as userid
            from review_items where id = @ItemId for update
            """, claim, transaction)
            ?? throw new ReviewException("This item does not exist.");

        if (item.Status == "decided")
            throw new ReviewException("This item was already decided by someone else; your decision was not recorded.");
        if (item.ClaimedBy != userId || item.ClaimToken != claim.Token)
            throw new ReviewException("Your claim on this item was lost: its lease ran out and it went back to the queue. Your decision was not recorded.");
        if (!item.LeaseLive)
            throw new ReviewException("Your claim on this item expired and it went back to the queue. Your decision was not recorded.");
        if (!user.Satisfies(Policies.ForQueue(item.Queue!)))
            throw new UnauthorizedAccessException($"Your role may not decide items of the {item.Queue} queue.");
        return item;
    }

    /// <summary>The caller's user id, once it is clear they review at all (the queue's own role is checked on the locked item).</summary>
    private static long ReviewerId(ClaimsPrincipal user) =>
        user.Satisfies(Policies.Review) ? user.UserId() : throw new UnauthorizedAccessException("Your role may not decide items.");

    private static string? CheckNote(string? note)
    {
        note = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
        if (note is { Length: > MaxNoteLength })
            throw new ReviewException($"The note must be at most {MaxNoteLength} characters (it has {note.Length}).");
        return note;
    }
}
