using System.Security.Claims;
using Dapper;
using Microsoft.Extensions.Options;
using ModerationConsole.Accounts;
using ModerationConsole.Data;
using ModerationConsole.Queue;

namespace ModerationConsole.Appeals;

/// <summary>An appeal as its reviewer sees it: the user's words beside what they appeal.</summary>
public sealed class AppealView
{
    public long Id { get; init; }
    public string AppealId { get; init; } = "";
    public long ProducerId { get; init; }
    public string Producer { get; init; } = "";
    public string UserId { get; init; } = "";
    public string Statement { get; init; } = "";
    public string Language { get; init; } = "";
    public DateTime ReceivedAt { get; init; }
    public DateTime DueAt { get; init; }
    public string Status { get; init; } = "";
    public Guid? ClaimToken { get; init; }
    public long? DecisionId { get; init; }
    public long? ItemId { get; init; }
    public string? Decision { get; init; }
    public string[] Categories { get; init; } = [];
    public string? Reason { get; init; }
    public bool? Automated { get; init; }
    public string? DecidedBy { get; init; }
    public string? Prompt { get; init; }
    /// <summary>The item's highest scores, any source: "sexual 0.93, violence 0.40".</summary>
    public string? TopScores { get; init; }
    public long? EnforcementId { get; init; }
    public string? Action { get; init; }
    public string? EnforcementReason { get; init; }
    public string? Outcome { get; init; }
    public string? OutcomeNote { get; init; }
    public string? OutcomeBy { get; init; }
    public DateTime? DecidedAt { get; init; }
}

/// <summary>
/// The appeals queue: earliest deadline first, claimed with a lease like items (FOR UPDATE SKIP LOCKED, no two
/// reviewers on one appeal), and never offered to the person who made the decision or took the action appealed.
/// Reviewing appeals is for senior moderators and admins: the DSA asks for qualified staff.
/// </summary>
public sealed class AppealQueue(Db db, IOptions<QueueOptions> options)
{
    internal static readonly string ViewSql =
        $"""
        select a.id, a.appeal_id as appealid, a.producer_id as producerid, p.name as producer, a.user_id as userid, a.statement,
               a.language, a.received_at as receivedat, a.due_at as dueat, a.status, a.claim_token as claimtoken,
               a.decision_id as decisionid, coalesce(d.item_id, ed.item_id) as itemid, d.decision, coalesce(d.categories, e.categories) as categories,
               d.reason, coalesce(d.automated, e.automated) as automated, coalesce(du.email, eu.email) as decidedby,
               coalesce(r.prompt, er.prompt) as prompt,
               {Enforcement.AccountReader.TopScoresSql("coalesce(d.item_id, ed.item_id)", 5)} as topscores,
               a.enforcement_id as enforcementid, e.action, e.reason as enforcementreason,
               a.outcome, a.outcome_note as outcomenote, ou.email as outcomeby, a.decided_at as decidedat
        from appeals a
        join producers p on p.id = a.producer_id
        left join decisions d on d.id = a.decision_id
        left join review_items r on r.id = d.item_id
        left join users du on du.id = d.decided_by
        left join enforcements e on e.id = a.enforcement_id
        left join decisions ed on ed.id = e.decision_id
        left join review_items er on er.id = ed.item_id
        left join users eu on eu.id = e.created_by
        left join users ou on ou.id = a.decided_by
        """;

    /// <summary>The appeal the caller holds, else the next one they may review, claimed; null when there is none.</summary>
    public Task<AppealView?> ClaimNextAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.Escalations, "Only senior moderators and admins review appeals.");
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var id = await connection.ExecuteScalarAsync<long?>(
                """
                with next as (
                    select a.id from appeals a
                    left join decisions d on d.id = a.decision_id
                    left join enforcements e on e.id = a.enforcement_id
                    where a.status = 'pending'
                      and (a.claimed_by is null or a.claim_expires_at < now() or a.claimed_by = @userId)
                      and coalesce(d.decided_by, e.created_by, 0) <> @userId
                    order by (a.claimed_by = @userId and a.claim_expires_at > now()) desc nulls last, a.due_at, a.id
                    limit 1 for update of a skip locked)
                update appeals a set claimed_by = @userId, claim_expires_at = now() + @lease,
                       claim_token = case when a.claimed_by = @userId and a.claim_expires_at > now() then a.claim_token else gen_random_uuid() end
                from next where a.id = next.id
                returning a.id
                """, new { userId, lease = options.Value.LeaseDuration }, transaction);
            return id is null ? null : await connection.QuerySingleAsync<AppealView>(ViewSql + " where a.id = @id", new { id }, transaction);
        }, ct);
    }

    /// <summary>Pending appeals, earliest deadline first, for the queue's list.</summary>
    public Task<IReadOnlyList<AppealView>> PendingAsync(int limit = 200, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<AppealView>>(async c =>
            (await c.QueryAsync<AppealView>(ViewSql + " where a.status = 'pending' order by a.due_at, a.id limit @limit", new { limit })).AsList(), ct);

    /// <summary>Every appeal of one user, newest first, for the account page.</summary>
    public Task<IReadOnlyList<AppealView>> OfUserAsync(long producerId, string userId, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<AppealView>>(async c =>
            (await c.QueryAsync<AppealView>(ViewSql + " where a.producer_id = @producerId and a.user_id = @userId order by a.id desc",
                new { producerId, userId })).AsList(), ct);
}
