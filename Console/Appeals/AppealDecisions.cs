using System.Security.Claims;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Decisions;
using ModerationConsole.Enforcement;
using ModerationConsole.Policy;
using Npgsql;

namespace ModerationConsole.Appeals;

public static class AppealOutcomes
{
    public const string Upheld = "upheld";
    public const string Overturned = "overturned";
    public const string Modified = "modified";
}

/// <summary>
/// Decides a claimed appeal, in one transaction with its audit entry and the notice to the platform.
/// Upheld: nothing changes. Overturned: a decision is replaced by an approval (its strike lifted, the ladder lifting
/// what no longer holds), an action is lifted. Modified: a block keeps standing for other categories, or an action is
/// replaced by a warning. The reviewer must hold the claim and must not be the one who decided what is appealed.
/// </summary>
public sealed class AppealDecisions(Db db, DecisionWriter decisions)
{
    public Task DecideAsync(ClaimsPrincipal user, long appealId, Guid claimToken, string outcome, string? note,
        IReadOnlyList<string>? newCategories = null, CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.Escalations, "Only senior moderators and admins decide appeals.");
        note = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
        if (outcome is not (AppealOutcomes.Upheld or AppealOutcomes.Overturned or AppealOutcomes.Modified))
            throw new EnforcementException("outcome: must be upheld, overturned or modified.");
        if (note is null) throw new EnforcementException("note: say why; the user is told.");
        if (note.Length > 2000) throw new EnforcementException($"note: at most 2000 characters (it has {note.Length}).");

        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var appeal = await connection.QuerySingleOrDefaultAsync<Held>(
                """
                select a.id, a.appeal_id as appealid, a.producer_id as producerid, a.user_id as userid, a.status, a.language,
                       a.claimed_by as claimedby, a.claim_token as claimtoken, coalesce(a.claim_expires_at > now(), false) as leaselive,
                       a.decision_id as decisionid, a.enforcement_id as enforcementid, d.item_id as itemid, coalesce(d.categories, e.categories, '{}') as categories,
                       (select o.id from decisions o where o.overturns = a.decision_id) as overturnedby,
                       coalesce(d.decided_by, e.created_by) as originaldecider
                from appeals a left join decisions d on d.id = a.decision_id left join enforcements e on e.id = a.enforcement_id
                where a.id = @appealId for update of a
                """, new { appealId }, transaction)
                ?? throw new EnforcementException($"appeal: there is no appeal {appealId}.");
            if (appeal.Status != "pending") throw new EnforcementException("appeal: it was decided already.");
            if (appeal.ClaimedBy != userId || appeal.ClaimToken != claimToken || !appeal.LeaseLive)
                throw new EnforcementException("appeal: your claim on it was lost (its lease ran out); open the next appeal again. Nothing was recorded.");
            if (appeal.OriginalDecider == userId) throw new EnforcementException("appeal: it must be decided by someone other than the original decider.");

            if (appeal.OverturnedBy is { } later && outcome != AppealOutcomes.Upheld)
                throw new EnforcementException($"appeal: the decision was overturned meanwhile (decision {later}); uphold the appeal with a note saying so.");
            var policy = (await PolicyStore.LoadActiveAsync(connection, transaction)).Document;
            long? newDecision = null;
            if (outcome != AppealOutcomes.Upheld && appeal.DecisionId is { } decisionId)
            {
                var categories = outcome == AppealOutcomes.Overturned ? [] : CheckCategories(policy, newCategories, appeal.Categories);
                var replacement = outcome == AppealOutcomes.Overturned
                    ? new PendingDecision(appeal.ItemId!.Value, appeal.ProducerId, appeal.UserId, DecisionKinds.Approved, [], PendingDecision.ApprovedReason,
                        $"Appeal {appeal.AppealId} overturned it: {note}", userId, decisionId)
                    : new PendingDecision(appeal.ItemId!.Value, appeal.ProducerId, appeal.UserId, DecisionKinds.Blocked, categories,
                        PendingDecision.StatementOfReasons(policy, categories), $"Appeal {appeal.AppealId} modified it: {note}", userId, decisionId);
                newDecision = (await decisions.WriteAsync(connection, transaction, [replacement], policy))[0];
            }
            else if (outcome != AppealOutcomes.Upheld && appeal.EnforcementId is { } enforcementId)
            {
                await AccountActions.LockAccountAsync(connection, transaction, appeal.ProducerId, appeal.UserId);
                await EnforcementWriter.LiftAsync(connection, transaction, enforcementId, userId, $"Appeal {appeal.AppealId}: {note}", appeal.Id);
                if (outcome == AppealOutcomes.Modified)
                    await EnforcementWriter.ApplyAsync(connection, transaction, policy, new NewEnforcement(appeal.ProducerId, appeal.UserId,
                        new LadderStep { Threshold = 1, Action = EnforcementActions.Warn }, Ladder.OriginManual, null, [],
                        $"Replaces action {enforcementId} after appeal {appeal.AppealId}: {note}", userId, [], null));
            }

            await connection.ExecuteAsync(
                """
                update appeals set status = 'decided', outcome = @outcome, outcome_note = @note, decided_by = @userId, decided_at = now(),
                       new_decision_id = @newDecision, claimed_by = null, claim_token = null, claim_expires_at = null
                where id = @appealId
                """, new { appealId, outcome, note, userId, newDecision }, transaction);
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), AuditActions.AppealDecided, appeal.ItemId,
                new { appealId, producerAppealId = appeal.AppealId, outcome, note, decisionId = appeal.DecisionId, enforcementId = appeal.EnforcementId, newDecisionId = newDecision });

            var kind = outcome switch
            {
                AppealOutcomes.Upheld => NoticeKinds.AppealUpheld,
                AppealOutcomes.Overturned => NoticeKinds.AppealOverturned,
                _ => NoticeKinds.AppealModified,
            };
            var context = await NoticeContext.ReadAsync(connection, transaction, appeal.ProducerId, appeal.UserId, appeal.Language);
            var (title, body) = context.Wording(kind, appeal.Categories);
            var values = new Dictionary<string, string?> { ["outcomeNote"] = note };
            await EnforcementWriter.AddNoticeAsync(connection, transaction, appeal.ProducerId, appeal.UserId, "appeal_decided", appeal.EnforcementId, appeal.Id,
                null, new AppealOutcome(appeal.AppealId, outcome, appeal.DecisionId, appeal.EnforcementId, newDecision),
                new StatementOfReasons(appeal.Language, NoticeTemplates.Fill(title, values), NoticeTemplates.Fill(body, values),
                    new NoticeFacts(appeal.DecisionId is { } d ? [d] : [], appeal.Categories, null), note, false,
                    new Redress(null, EnforcementWriter.RedressNone)));
            await QueueSignals.NotifyAsync(connection, transaction);
            return 0;
        }, ct);
    }

    private static IReadOnlyList<string> CheckCategories(PolicyDocument policy, IReadOnlyList<string>? requested, IReadOnlyList<string> before)
    {
        var categories = (requested ?? []).Distinct().ToList();
        if (categories.Count == 0) throw new EnforcementException("categories: a modified block names the categories it stands for.");
        var unknown = categories.Where(c => policy.Find(c) is null).ToList();
        if (unknown.Count > 0) throw new EnforcementException($"categories: unknown policy category {string.Join(", ", unknown)}.");
        if (categories.Order().SequenceEqual(before.Order())) throw new EnforcementException("categories: the same as before; uphold the decision instead.");
        return categories;
    }

    private sealed class Held
    {
        public long Id { get; init; }
        public string AppealId { get; init; } = "";
        public long ProducerId { get; init; }
        public string UserId { get; init; } = "";
        public string Status { get; init; } = "";
        public string Language { get; init; } = "en";
        public long? ClaimedBy { get; init; }
        public Guid? ClaimToken { get; init; }
        public bool LeaseLive { get; init; }
        public long? DecisionId { get; init; }
        public long? EnforcementId { get; init; }
        public long? ItemId { get; init; }
        public string[] Categories { get; init; } = [];
        public long? OriginalDecider { get; init; }
        public long? OverturnedBy { get; init; }
    }
}
