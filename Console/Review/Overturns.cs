using System.Security.Claims;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Decisions;
using ModerationConsole.Policy;

namespace ModerationConsole.Review;

/// <summary>
/// A senior moderator (or an admin) overturns a decision: a new decision that names the one it replaces, with a note
/// saying why. The producer reads it from the decision cursor like any other; the user's strikes follow; the original
/// stays in the record, as does who overturned it. A decision is overturned at most once: to change it again, overturn
/// the overturn.
/// </summary>
public sealed class Overturns(Db db, DecisionWriter decisions)
{
    public Task<long> OverturnAsync(ClaimsPrincipal user, long decisionId, string decision, IReadOnlyList<string> categories, string? note,
        CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.Escalations, "Only senior moderators and admins may overturn decisions.");
        note = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
        if (note is null) throw new ReviewException("note: say why the decision is overturned.");
        if (note.Length > ReviewActions.MaxNoteLength) throw new ReviewException($"note: at most {ReviewActions.MaxNoteLength} characters.");
        if (decision is not (DecisionKinds.Approved or DecisionKinds.Blocked)) throw new ReviewException("decision: must be approved or blocked.");
        if (decision == DecisionKinds.Blocked && categories.Count == 0) throw new ReviewException("categories: choose at least one to block.");
        if (decision == DecisionKinds.Approved) categories = [];

        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var current = await connection.QuerySingleOrDefaultAsync<CurrentDecision>(
                """
                select d.id, d.item_id as itemid, d.producer_id as producerid, r.user_id as platformuserid, d.decision, d.categories,
                       (select o.id from decisions o where o.overturns = d.id) as overturnedby
                from decisions d join review_items r on r.id = d.item_id
                where d.id = @decisionId
                for update of d
                """, new { decisionId }, transaction)
                ?? throw new ReviewException($"decision: there is no decision {decisionId}.");
            if (current.OverturnedBy is { } later)
                throw new ReviewException($"decision: {decisionId} was already overturned by decision {later}; overturn that one instead.");
            if (current.Decision == decision && current.Categories.Order().SequenceEqual(categories.Order()))
                throw new ReviewException("decision: the new decision is the same as the one it would overturn.");

            var policy = await PolicyStore.LoadActiveAsync(connection, transaction);
            var unknown = categories.Where(c => policy.Document.Find(c) is null).ToList();
            if (unknown.Count > 0) throw new ReviewException($"categories: unknown policy category {string.Join(", ", unknown)}.");

            var reason = decision == DecisionKinds.Blocked
                ? PendingDecision.StatementOfReasons(policy.Document, categories)
                : PendingDecision.ApprovedReason;
            var ids = await decisions.WriteAsync(connection, transaction,
                [new PendingDecision(current.ItemId, current.ProducerId, current.PlatformUserId, decision, categories, reason, note, userId, decisionId)],
                policy.Document);
            await ReReviews.ResolveAsync(connection, transaction, decisionId, userId, "overturned");
            return ids[0];
        }, ct);
    }

    /// <summary>
    /// A senior re-read a decision and agrees with it: recorded (audited as <c>decision.confirmed</c>) so agreement with
    /// seniors can be measured on re-reviewed items, not only disagreement.
    /// </summary>
    public Task ConfirmAsync(ClaimsPrincipal user, long decisionId, CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.Escalations, "Only senior moderators and admins re-review decisions.");
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var decision = await connection.QuerySingleOrDefaultAsync<(long ItemId, long? OverturnedBy)>(
                "select item_id, (select o.id from decisions o where o.overturns = d.id) from decisions d where d.id = @decisionId for update",
                new { decisionId }, transaction);
            if (decision.ItemId == 0) throw new ReviewException($"decision: there is no decision {decisionId}.");
            if (decision.OverturnedBy is { } later) throw new ReviewException($"decision: {decisionId} was overturned by decision {later}; it no longer stands.");
            await AuditLog.AppendAsync(connection, transaction, Audit.Actor.User(userId), Audit.AuditActions.DecisionConfirmed, decision.ItemId,
                new { decisionId });
            await ReReviews.ResolveAsync(connection, transaction, decisionId, userId, "confirmed");
            return 0;
        }, ct);
    }

    private sealed class CurrentDecision
    {
        public long Id { get; init; }
        public long ItemId { get; init; }
        public long ProducerId { get; init; }
        public string PlatformUserId { get; init; } = "";
        public string Decision { get; init; } = "";
        public string[] Categories { get; init; } = [];
        public long? OverturnedBy { get; init; }
    }
}
