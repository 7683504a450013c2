using System.Security.Claims;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using Npgsql;

namespace ModerationConsole.Review;

/// <summary>One of a moderator's own decisions, as "My decisions" lists it.</summary>
public sealed class MyDecision
{
    public long Id { get; init; }
    public long ItemId { get; init; }
    public DateTime DecidedAt { get; init; }
    public string Verdict { get; init; } = "";
    public string[] Categories { get; init; } = [];
    public string Prompt { get; init; } = "";
    public long? OverturnedBy { get; init; }
    /// <summary>The re-review asked for it: open (null outcome) or how a senior resolved it.</summary>
    public bool ReReviewAsked { get; init; }
    public string? ReReviewOutcome { get; init; }
}

/// <summary>An open request for seniors.</summary>
public sealed class ReReviewRequest
{
    public long Id { get; init; }
    public long DecisionId { get; init; }
    public long ItemId { get; init; }
    public string RequestedBy { get; init; } = "";
    public DateTime RequestedAt { get; init; }
    public string Note { get; init; } = "";
    public string Verdict { get; init; } = "";
}

/// <summary>
/// A moderator's own decisions of the day, and their requests that a senior look at one again (audited as
/// <c>decision.rereview_requested</c>). Seniors work the open requests as a queue; confirming or overturning the
/// decision closes its request in the same transaction (<see cref="Overturns"/>).
/// </summary>
public sealed class ReReviews(Db db)
{
    public const string Requested = "decision.rereview_requested";

    /// <summary>What the signed-in person decided since midnight UTC, newest first.</summary>
    public Task<IReadOnlyList<MyDecision>> MineTodayAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.Review, "Your role does not decide items.");
        return db.ReadAsync<IReadOnlyList<MyDecision>>(async c => (await c.QueryAsync<MyDecision>(
            """
            select d.id, d.item_id as itemid, d.decided_at as decidedat, d.decision as verdict, d.categories, r.prompt,
                   (select o.id from decisions o where o.overturns = d.id) as overturnedby,
                   q.id is not null as rereviewasked, q.outcome as rereviewoutcome
            from decisions d join review_items r on r.id = d.item_id
            left join lateral (select id, outcome from rereview_requests q where q.decision_id = d.id order by id desc limit 1) q on true
            where d.decided_by = @userId and d.decided_at >= date_trunc('day', now() at time zone 'utc') at time zone 'utc'
            order by d.id desc limit 500
            """, new { userId })).AsList(), ct);
    }

    public Task<long> AskAsync(ClaimsPrincipal user, long decisionId, string? note, CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.Review, "Your role does not decide items.");
        note = note?.Trim();
        if (string.IsNullOrEmpty(note)) throw new ReviewException("note: say what a senior should look at again.");
        if (note.Length > ReviewActions.MaxNoteLength) throw new ReviewException($"note: at most {ReviewActions.MaxNoteLength} characters.");
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var decision = await connection.QuerySingleOrDefaultAsync<(long ItemId, long? DecidedBy, long? OverturnedBy)>(
                "select item_id, decided_by, (select o.id from decisions o where o.overturns = d.id) from decisions d where d.id = @decisionId for update",
                new { decisionId }, transaction);
            if (decision.ItemId == 0 || decision.DecidedBy != userId)
                throw new ReviewException($"decision: {decisionId} is not one of your decisions.");
            if (decision.OverturnedBy is { } later) throw new ReviewException($"decision: {decisionId} was already overturned by decision {later}.");
            var id = await connection.ExecuteScalarAsync<long?>(
                """
                insert into rereview_requests (decision_id, item_id, requested_by, note) values (@decisionId, @itemId, @userId, @note)
                on conflict (decision_id) where resolved_at is null do nothing returning id
                """, new { decisionId, itemId = decision.ItemId, userId, note }, transaction)
                ?? throw new ReviewException($"decision: a re-review of {decisionId} is already waiting for a senior.");
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), Requested, decision.ItemId, new { decisionId, requestId = id, note });
            return id;
        }, ct);
    }

    /// <summary>The open requests, oldest first, for seniors and admins.</summary>
    public Task<IReadOnlyList<ReReviewRequest>> WaitingAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        user.UserIdUnder(Policies.Escalations, "Only senior moderators and admins re-review decisions.");
        return db.ReadAsync<IReadOnlyList<ReReviewRequest>>(async c => (await c.QueryAsync<ReReviewRequest>(
            """
            select q.id, q.decision_id as decisionid, q.item_id as itemid, u.email as requestedby, q.requested_at as requestedat, q.note,
                   d.decision as verdict
            from rereview_requests q join users u on u.id = q.requested_by join decisions d on d.id = q.decision_id
            where q.resolved_at is null order by q.requested_at, q.id limit 500
            """)).AsList(), ct);
    }

    /// <summary>Closes the decision's open request, if any, inside the senior's confirm or overturn.</summary>
    internal static Task ResolveAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long decisionId, long seniorId, string outcome) =>
        connection.ExecuteAsync(
            """
            update rereview_requests set resolved_at = now(), resolved_by = @seniorId, outcome = @outcome
            where decision_id = @decisionId and resolved_at is null
            """, new { decisionId, seniorId, outcome }, transaction);
}
