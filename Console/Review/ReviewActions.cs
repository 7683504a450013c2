using System.Security.Claims;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Bank;
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
public sealed class ReviewActions(Db db, DecisionWriter decisions, BankAdministration bankAdministration, PolicyStore policies, HeldDecisions held)
{
    public const int MaxNoteLength = 2000;

    /// <summary>The most near-duplicates one decision may carry along.</summary>
    public const int MaxCluster = 200;

    public Task<DecisionOutcome> ApproveAsync(ClaimsPrincipal user, ItemClaim claim, string? note, CancellationToken ct = default) =>
        DecideAsync(user, claim, ReviewDecision.Approve(note), ct);

    public Task<DecisionOutcome> BlockAsync(ClaimsPrincipal user, ItemClaim claim, IReadOnlyList<string> categories, string? note, CancellationToken ct = default) =>
        DecideAsync(user, claim, ReviewDecision.Block(categories, note), ct);

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

    /// <summary>
    /// Approves or blocks the held item and, with it, the near-duplicates the moderator chose. Each cluster member gets
    /// its own decision and audit entry and is decided only if it is still pending, not held by someone else and in a
    /// queue the caller may work; the others are skipped and named in the outcome. One transaction for all.
    /// </summary>
    public async Task<DecisionOutcome> DecideAsync(ClaimsPrincipal user, ItemClaim claim, ReviewDecision request, CancellationToken ct = default)
    {
        var userId = ReviewerId(user);
        var note = CheckNote(request.Note);
        var cluster = (request.AlsoDecide ?? []).Where(id => id != claim.ItemId).Distinct().ToArray();
        if (cluster.Length > MaxCluster)
            throw new ReviewException($"One decision carries at most {MaxCluster} near-duplicates (this one has {cluster.Length}).");

        // A block's (or an outcome's) reason and strike follow the policy this instance remembers; the write checks that
        // it is still the active version, and a decision written under one that changed meanwhile is written again.
        var needsPolicy = request.Decision == DecisionKinds.Blocked || request.Outcome is not null;
        try
        {
            return await DecideUnderAsync(needsPolicy ? await policies.RememberedActiveAsync(ct) : null);
        }
        catch (PostgresException ex) when (ex.SqlState == ClaimNotHeld && ex.MessageText == PolicyStore.PolicyChanged)
        {
            policies.Forget();
            return await DecideUnderAsync(await policies.RememberedActiveAsync(ct));
        }

        Task<DecisionOutcome> DecideUnderAsync(ActivePolicy? policy)
        {
            var (chosen, outcome) = ChooseOutcome(user, request, policy);
            var reason = PendingDecision.ApprovedReason;
            if (policy is not null)
            {
                var unknown = chosen.Categories.Where(c => policy.Document.Find(c) is null).ToList();
                if (unknown.Count > 0) throw new ReviewException($"Unknown policy category: {string.Join(", ", unknown)}.");
                reason = chosen.Decision == DecisionKinds.Blocked ? PendingDecision.StatementOfReasons(policy.Document, chosen.Categories)
                    : outcome?.Reason ?? PendingDecision.ApprovedReason;
            }
            var decision = new PendingDecision(claim.ItemId, claim.ProducerId, claim.PlatformUserId, chosen.Decision, chosen.Categories,
                reason, note, userId, Outcome: outcome is { IsBetween: true } ? outcome.Key : null,
                OutcomeStrikeWeight: outcome?.StrikeWeight ?? 0);
            request = chosen;
            // Banking changes what every later ingest matches at once, so a decision that banks is not held for undo.
            if (held.Window > TimeSpan.Zero && !request.AddToBank) return HoldAsync(user, userId, claim, request, decision, cluster, note, policy, ct);
            return cluster.Length == 0 && !request.AddToBank
                ? DecideHeldItemAloneAsync(user, userId, claim, decision, policy, ct)
                : DecideWithClusterAsync(user, userId, claim, request, decision, cluster, note, policy, ct);
        }
    }

    /// <summary>The held item with near-duplicates or into the bank: one explicit transaction for all of it.</summary>
    private Task<DecisionOutcome> DecideWithClusterAsync(ClaimsPrincipal user, long userId, ItemClaim claim, ReviewDecision request,
        PendingDecision decision, long[] cluster, string? note, ActivePolicy? policy, CancellationToken ct)
    {
        var reason = decision.Reason;

        return db.InTransactionAsync(async (connection, transaction) =>
        {
            if (policy is not null)
                await connection.ExecuteAsync(PolicyStore.IsStillActiveSql,
                    new { policyVersion = policy.Version, policyChanged = PolicyStore.PolicyChanged }, transaction);
            if (await connection.ExecuteAsync(CloseHeldItemSql, CloseHeldItemParameters(user, userId, claim), transaction) == 0)
                await RefuseAsync(connection, transaction, user, userId, claim);
            var pending = new List<PendingDecision> { decision };

            var (members, clusterNote) = await CloseClusterAsync(connection, transaction, user, userId, claim, cluster, request.Decision, note);
            pending.AddRange(members.Decidable.Select(m =>
                new PendingDecision(m.Id, m.ProducerId, m.UserId, request.Decision, request.Categories, reason, clusterNote, userId,
                    Outcome: decision.Outcome, OutcomeStrikeWeight: decision.OutcomeStrikeWeight)));

            long? bankEntry = null;
            var alreadyBanked = false;
            if (request.AddToBank)
            {
                try
                {
                    bankEntry = await bankAdministration.AddFromItemAsync(connection, transaction, userId, claim.ItemId, request.Categories);
                }
                catch (BankException ex)
                {
                    throw new ReviewException(ex.Message + " Nothing was recorded; block without banking it.");
                }
                alreadyBanked = bankEntry is null;
            }

            await decisions.WriteAsync(connection, transaction, pending, policy?.Document);
            await QueueSignals.NotifyAsync(connection, transaction);
            return new DecisionOutcome(members.Decidable.Select(m => m.Id).ToList(), members.Skipped, bankEntry, alreadyBanked);
        }, ct);
    }

    /// <summary>
    /// The held item (and the near-duplicates chosen) closed, and the decisions held for their undo window
    /// (<see cref="HeldDecisions"/>): one transaction, audited; the producer hears of it when the window ends.
    /// </summary>
    private Task<DecisionOutcome> HoldAsync(ClaimsPrincipal user, long userId, ItemClaim claim, ReviewDecision request,
        PendingDecision decision, long[] cluster, string? note, ActivePolicy? policy, CancellationToken ct) =>
        db.InTransactionAsync(async (connection, transaction) =>
        {
            if (policy is not null)
                await connection.ExecuteAsync(PolicyStore.IsStillActiveSql,
                    new { policyVersion = policy.Version, policyChanged = PolicyStore.PolicyChanged }, transaction);
            var queue = await connection.ExecuteScalarAsync<string?>(
                // Every part of one statement reads the rows as they were before it: "before" sees the queue the update clears.
                $"with before as (select id, queue from review_items where id = @itemId), closed as ({CloseHeldItemSql} returning id) " +
                "select before.queue from before join closed using (id)",
                CloseHeldItemParameters(user, userId, claim), transaction);
            if (queue is null) await RefuseAsync(connection, transaction, user, userId, claim);
            var (members, clusterNote) = await CloseClusterAsync(connection, transaction, user, userId, claim, cluster, request.Decision, note);
            var releaseAt = await HeldDecisions.HoldAsync(connection, transaction,
            [
                (decision, queue!),
                .. members.Decidable.Select(m => (new PendingDecision(m.Id, m.ProducerId, m.UserId, request.Decision, request.Categories,
                    decision.Reason, clusterNote, userId, Outcome: decision.Outcome, OutcomeStrikeWeight: decision.OutcomeStrikeWeight), m.Queue!)),
            ], held.Window);
            await QueueSignals.NotifyAsync(connection, transaction);
            return new DecisionOutcome(members.Decidable.Select(m => m.Id).ToList(), members.Skipped, null, false, releaseAt);
        }, ct);

    /// <summary>
    /// The near-duplicates chosen with the item, locked, sorted, closed and audited as decided together, whether the
    /// decision is written now or held for its undo window; with the note each of their decisions carries.
    /// </summary>
    private static async Task<((IReadOnlyList<ClusterMember> Decidable, IReadOnlyList<long> Skipped) Members, string Note)> CloseClusterAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, ClaimsPrincipal user, long userId, ItemClaim claim, long[] cluster,
        string decision, string? note)
    {
        var members = await LockClusterAsync(connection, transaction, user, userId, cluster);
        await CloseAsync(connection, transaction, members.Decidable.Select(m => m.Id).ToArray());
        if (cluster.Length > 0)
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), AuditActions.ClusterDecided, claim.ItemId, new
            {
                decision,
                decided = members.Decidable.Select(m => m.Id).ToArray(),
                skipped = members.Skipped,
            });
        return (members, $"Decided together with item #{claim.ItemId} as a near-duplicate." + (note is null ? "" : " " + note));
    }

    private static Task CloseAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long[] itemIds) =>
        itemIds.Length == 0
            ? Task.CompletedTask
            : connection.ExecuteAsync($"{CloseItemSql} where id = any(@itemIds)", new { itemIds }, transaction);

    /// <summary>A decided item leaves its queue and its claim; the caller's WHERE says which items.</summary>
    private const string CloseItemSql =
        "update review_items set status = 'decided', queue = null, claimed_by = null, claim_token = null, claim_expires_at = null";

    private sealed record ClusterMember(long Id, string Status, string? Queue, long? ClaimedBy, bool LeaseLive, long ProducerId, string UserId);

    /// <summary>
    /// Locks the cluster's rows, skipping any another transaction holds right now (someone is deciding it), and sorts
    /// them into those this decision may close and those it must leave alone.
    /// </summary>
    private static async Task<(IReadOnlyList<ClusterMember> Decidable, IReadOnlyList<long> Skipped)> LockClusterAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, ClaimsPrincipal user, long userId, long[] cluster)
    {
        if (cluster.Length == 0) return ([], []);
        var rows = (await connection.QueryAsync<ClusterMember>(
            """
            select id, status, queue, claimed_by as claimedby, coalesce(claim_expires_at > now(), false) as leaselive,
                   producer_id as producerid, user_id as userid
            from review_items where id = any(@cluster) order by id for update skip locked
            """, new { cluster }, transaction)).ToList();
        var decidable = rows.Where(r => r.Status == "pending" && r.Queue is not null
                                        && !(r.ClaimedBy is { } holder && holder != userId && r.LeaseLive)
                                        && user.Satisfies(Policies.ForQueue(r.Queue)))
            .ToList();
        var skipped = cluster.Except(decidable.Select(d => d.Id)).Order().ToList();
        return (decidable, skipped);
    }

    /// <summary>
    /// The usual decision, on the held item alone: one batch, run as its own implicit transaction and committed in the
    /// same round trip. Its first statement closes the item if this claim still holds it, is live and in a queue the
    /// caller may work, and otherwise stops the batch before anything is written; then the decision with its reason and
    /// audit entry, and for a block its strike and the rung of the enforcement ladder it reaches, with the notice to the
    /// user. A block whose notice was rendered with a language or templates that changed fails the batch and is written
    /// again in an explicit transaction; one the batch cannot write at all (a ban at once) is written in one at once.
    /// </summary>
    private async Task<DecisionOutcome> DecideHeldItemAloneAsync(ClaimsPrincipal user, long userId, ItemClaim claim, PendingDecision decision,
        ActivePolicy? policy, CancellationToken ct)
    {
        async Task<int> DecideAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction)
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            if (policy is not null)
                batch.BatchCommands.Add(BatchCommand.Of(PolicyStore.IsStillActiveSql,
                    ("policyVersion", policy.Version), ("policyChanged", PolicyStore.PolicyChanged)));
            batch.BatchCommands.Add(BatchCommand.Of(
                $"with closed as ({CloseHeldItemSql} returning id) select require_that((select count(*) from closed) = 1, 'claim not held')",
                CloseHeldItemParameters(user, userId, claim).Select(p => (p.Key, (object?)p.Value))));
            var written = await decisions.AddToAsync(batch, [decision], policy?.Document, unlessLadderActs: transaction is null);
            await using var reader = await batch.ExecuteReaderAsync(ct);
            await written.ReadAsync(reader);
            await QueueSignals.NotifyAsync(connection, transaction);
            return 0;
        }

        try
        {
            try
            {
                if (policy is not null && decisions.LadderNeedsTransaction(decision, policy.Document)) await db.InTransactionAsync(DecideAsync, ct);
                else await db.InOneRoundTripAsync(connection => DecideAsync(connection, null), ct);
            }
            catch (PostgresException ex) when (ex.SqlState == ClaimNotHeld && ex.MessageText == Enforcement.DecisionStrikes.LadderActs)
            {
                decisions.LadderRetried();
                await db.InTransactionAsync(DecideAsync, ct);
            }
        }
        catch (PostgresException ex) when (ex.SqlState == ClaimNotHeld && ex.MessageText != PolicyStore.PolicyChanged)
        {
            await db.InTransactionAsync((connection, transaction) => RefuseAsync(connection, transaction, user, userId, claim), ct);
        }
        return new DecisionOutcome([], [], null, false);
    }

    /// <summary>
    /// The decision underneath the outcome the reviewer chose (if any), checked against the policy's outcomes and who
    /// may choose each; a block needs its categories whichever way it was chosen.
    /// </summary>
    private static (ReviewDecision Chosen, OutcomeRule? Outcome) ChooseOutcome(ClaimsPrincipal user, ReviewDecision request, ActivePolicy? policy)
    {
        OutcomeRule? outcome = null;
        if (request.Outcome is { } key)
        {
            outcome = policy!.Document.FindOutcome(key) ?? throw new ReviewException($"outcome: '{key}' is not an outcome of the policy.");
            if (outcome.Roles is { } roles && !roles.Any(user.IsInRole))
                throw new UnauthorizedAccessException($"Your role may not choose '{outcome.Label}'.");
            request = request with { Decision = outcome.Decision };
        }
        if (request.Decision == DecisionKinds.Blocked && request.Categories.Count == 0)
            throw new ReviewException("Choose at least one policy category to block.");
        if (request.Decision == DecisionKinds.Approved && request.AddToBank)
            throw new ReviewException("Only a blocked image can be added to the block bank.");
        return (request, outcome);
    }

    /// <summary>The SQLSTATE of require_that (db/0006_claimable_queue.sql).</summary>
    private const string ClaimNotHeld = "MC001";

    /// <summary>
    /// Closes the item when this claim holds it, live, in a queue the caller may work; no row otherwise. The producer
    /// and platform user the decision will name (carried by the claim) must be the item's own.
    /// </summary>
    private const string CloseHeldItemSql =
        $"""
        {CloseItemSql}
        where id = @itemId and status = 'pending' and claimed_by = @userId and claim_token = @token
          and claim_expires_at > now() and queue = any(@queues) and producer_id = @producerId and user_id = @platformUserId
        """;

    private static Dictionary<string, object> CloseHeldItemParameters(ClaimsPrincipal user, long userId, ItemClaim claim) => new()
    {
        ["itemId"] = claim.ItemId,
        ["userId"] = userId,
        ["token"] = claim.Token,
        ["producerId"] = claim.ProducerId,
        ["platformUserId"] = claim.PlatformUserId,
        ["queues"] = Queues.All.Where(q => user.Satisfies(Policies.ForQueue(q))).ToArray(),
    };

    /// <summary>After the held item could not be closed: says why (see <see cref="LockHeldItemAsync"/>) and refuses.</summary>
    private static async Task<int> RefuseAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ClaimsPrincipal user, long userId,
        ItemClaim claim)
    {
        await LockHeldItemAsync(connection, transaction, user, userId, claim);
        throw new ReviewException("Your claim on this item changed while you decided it. Your decision was not recorded; open the item again.");
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
        user.UserIdUnder(Policies.Review, "Your role may not decide items.");

    private static string? CheckNote(string? note)
    {
        note = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
        if (note is { Length: > MaxNoteLength })
            throw new ReviewException($"The note must be at most {MaxNoteLength} characters (it has {note.Length}).");
        return note;
    }
}

/// <summary>What the moderator decided: approve or block (with categories), optionally banking the image and carrying near-duplicates along.</summary>
/// <param name="Outcome">An outcome of the policy (<see cref="OutcomeRule"/>); its decision then replaces <paramref name="Decision"/>.</param>
public sealed record ReviewDecision(string Decision, IReadOnlyList<string> Categories, string? Note, bool AddToBank = false,
    IReadOnlyList<long>? AlsoDecide = null, string? Outcome = null)
{
    public static ReviewDecision Approve(string? note) => new(DecisionKinds.Approved, [], note);
    public static ReviewDecision Block(IReadOnlyList<string> categories, string? note) => new(DecisionKinds.Blocked, categories, note);
    public static ReviewDecision WithOutcome(string outcome, IReadOnlyList<string> categories, string? note) =>
        new(DecisionKinds.Approved, categories, note, Outcome: outcome);
}

/// <param name="ClusterDecided">Near-duplicates decided with the item.</param>
/// <param name="ClusterSkipped">Near-duplicates left alone: decided meanwhile, held by someone else, or in a queue the caller may not work.</param>
/// <param name="BankEntryId">The new bank entry, when the image was banked.</param>
/// <param name="AlreadyBanked">Banking was asked for and the very same hash was in the bank already.</param>
/// <param name="UndoUntil">Until when the moderator may undo it (<see cref="HeldDecisions"/>); null: it was sent at once.</param>
public sealed record DecisionOutcome(IReadOnlyList<long> ClusterDecided, IReadOnlyList<long> ClusterSkipped, long? BankEntryId, bool AlreadyBanked,
    DateTimeOffset? UndoUntil = null);
