using System.Security.Claims;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Bank;
using ModerationConsole.Data;
using ModerationConsole.Decisions;
using ModerationConsole.Policy;
using ModerationConsole.Queue;

namespace ModerationConsole.Removals;

public sealed class RemovalException(string message) : Exception(message);

/// <summary>
/// Working removal requests: the queue by time left, one request, acting on it (every item it names blocked, an approved
/// one by overturning its decision, each banked in the victim bank so edits are blocked at ingest) or declining it, both
/// with the answer the producer relays to the requester. One transaction per action, audited.
/// </summary>
public sealed class RemovalActions(Db db, DecisionWriter decisions, BankAdministration bank, BlockBank bankIndex)
{
    private const string Columns =
        """
        q.id, q.producer_id as producerid, q.external_id as externalid, q.received_via as receivedvia, q.requester_kind as requesterkind,
        q.requester_name as requestername, q.contact, q.ground, q.details, q.item_ids as itemids, q.user_id as userid, q.received_at as receivedat,
        q.due_at as dueat, q.reminded_half_at as remindedhalfat, q.reminded_late_at as remindedlateat, q.status, q.answered_at as answeredat,
        u.email as answeredby, q.answer, q.items_blocked as itemsblocked
        """;

    /// <summary>Open requests, least time left first; then the latest answered ones.</summary>
    public Task<IReadOnlyList<RemovalRequestView>> QueueAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        user.UserIdUnder(Policies.Cases, "Your role may not see removal requests.");
        return db.ReadAsync<IReadOnlyList<RemovalRequestView>>(async c => (await c.QueryAsync<RemovalRequestView>(
            $"""
            (select {Columns} from removal_requests q left join users u on u.id = q.answered_by where q.status = 'open' order by q.due_at limit 500)
            union all
            (select {Columns} from removal_requests q left join users u on u.id = q.answered_by where q.status <> 'open' order by q.answered_at desc limit 50)
            """)).AsList(), ct);
    }

    public Task<RemovalRequestView?> ReadAsync(ClaimsPrincipal user, long id, CancellationToken ct = default)
    {
        user.UserIdUnder(Policies.Cases, "Your role may not see removal requests.");
        return db.ReadAsync(c => c.QuerySingleOrDefaultAsync<RemovalRequestView>(
            $"select {Columns} from removal_requests q left join users u on u.id = q.answered_by where q.id = @id", new { id }), ct);
    }

    /// <summary>Open requests past their deadline, for the dashboard.</summary>
    public Task<IReadOnlyList<RemovalRequestView>> OverdueAsync(CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<RemovalRequestView>>(async c => (await c.QueryAsync<RemovalRequestView>(
            $"select {Columns} from removal_requests q left join users u on u.id = q.answered_by where q.status = 'open' and q.due_at < now() order by q.due_at limit 100"))
            .AsList(), ct);

    /// <summary>The producer reads where its request stands, by its own request id.</summary>
    public Task<RemovalStatus?> StatusAsync(long producerId, string requestId, CancellationToken ct = default) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<RemovalStatus>(
            """
            select id, external_id as requestid, status, received_at as receivedat, due_at as dueat, answered_at as answeredat, answer,
                   items_blocked as itemsblocked
            from removal_requests where producer_id = @producerId and external_id = @requestId
            """, new { producerId, requestId }), ct);

    /// <summary>Blocks and banks every item the request names (or every item of its user); returns how many were blocked now.</summary>
    public async Task<int> ActAsync(ClaimsPrincipal user, long id, IReadOnlyList<string> categories, string? answer, CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.Cases, "Your role may not act on removal requests.");
        answer = Answer(answer);
        if (categories.Count == 0) throw new RemovalException("categories: choose the policy categories the block names.");
        var blocked = await db.InTransactionAsync(async (connection, transaction) =>
        {
            var request = await connection.QuerySingleOrDefaultAsync<(long Id, long ProducerId, string Status, string Ground, long[] ItemIds, string? UserId)>(
                "select id, producer_id, status, ground, item_ids, user_id from removal_requests where id = @id for update", new { id }, transaction);
            if (request.Id == 0) throw new RemovalException($"There is no removal request #{id}.");
            if (request.Status != "open") throw new RemovalException($"Removal request #{id} was already {request.Status}.");
            var policy = await PolicyStore.LoadActiveAsync(connection, transaction);
            var unknown = categories.Where(c => policy.Document.Find(c) is null).ToList();
            if (unknown.Count > 0) throw new RemovalException($"categories: unknown policy category {string.Join(", ", unknown)}.");

            var items = (await connection.QueryAsync<Target>(
                """
                select r.id as itemid, r.producer_id as producerid, r.user_id as userid, r.status,
                       d.id as decisionid, d.decision
                from review_items r
                left join lateral (select id, decision from decisions where item_id = r.id order by id desc limit 1) d on true
                where r.producer_id = @ProducerId and (r.id = any(@ItemIds) or r.user_id = @UserId)
                order by r.id for update of r
                """, new { request.ProducerId, request.ItemIds, request.UserId }, transaction)).ToList();
            var ids = items.Select(i => i.ItemId).ToArray();
            // A decision still in its undo window gives way to the removal.
            await connection.ExecuteAsync("delete from held_decisions where item_id = any(@ids)", new { ids }, transaction);
            await connection.ExecuteAsync(
                "update review_items set status = 'decided', queue = null, claimed_by = null, claim_token = null, claim_expires_at = null where id = any(@ids)",
                new { ids }, transaction);
            var reason = PendingDecision.StatementOfReasons(policy.Document, categories);
            var note = $"Removal request #{id} ({RemovalGrounds.Label(request.Ground)}).";
            var pending = items.Where(i => i.Decision != DecisionKinds.Blocked)
                .Select(i => new PendingDecision(i.ItemId, i.ProducerId, i.UserId, DecisionKinds.Blocked, categories, reason, note, userId,
                    Overturns: i.DecisionId)).ToList();
            await decisions.WriteAsync(connection, transaction, pending, policy.Document);
            var notBanked = new Dictionary<long, string>();
            foreach (var item in items)
                if (await bank.AddToBankAsync(connection, transaction, Actor.User(userId), item.ItemId, categories, BankNames.Victim, "removal_request",
                        note) is { } problem)
                    notBanked[item.ItemId] = problem;
            await connection.ExecuteAsync(
                """
                update removal_requests set status = 'actioned', answered_at = now(), answered_by = @userId, answer = @answer, items_blocked = @count
                where id = @id
                """, new { id, userId, answer, count = pending.Count }, transaction);
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), RemovalAuditActions.Actioned, null,
                new { removalId = id, items = ids, blocked = pending.Select(p => p.ItemId), categories, notBanked, answer });
            await QueueSignals.NotifyAsync(connection, transaction);
            return pending.Count;
        }, ct);
        await bankIndex.CatchUpAsync(ct);
        return blocked;
    }

    public Task DeclineAsync(ClaimsPrincipal user, long id, string? answer, CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.Cases, "Your role may not act on removal requests.");
        answer = Answer(answer);
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var status = await connection.ExecuteScalarAsync<string?>("select status from removal_requests where id = @id for update", new { id }, transaction)
                         ?? throw new RemovalException($"There is no removal request #{id}.");
            if (status != "open") throw new RemovalException($"Removal request #{id} was already {status}.");
            await connection.ExecuteAsync(
                "update removal_requests set status = 'declined', answered_at = now(), answered_by = @userId, answer = @answer where id = @id",
                new { id, userId, answer }, transaction);
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), RemovalAuditActions.Declined, null, new { removalId = id, answer });
            return 0;
        }, ct);
    }

    private static string Answer(string? answer)
    {
        answer = answer?.Trim();
        if (string.IsNullOrEmpty(answer)) throw new RemovalException("answer: write what the requester is told.");
        if (answer.Length > RemovalIntake.MaxText) throw new RemovalException($"answer: at most {RemovalIntake.MaxText} characters.");
        return answer;
    }

    private sealed class Target
    {
        public long ItemId { get; init; }
        public long ProducerId { get; init; }
        public string UserId { get; init; } = "";
        public string Status { get; init; } = "";
        public long? DecisionId { get; init; }
        public string? Decision { get; init; }
    }
}
