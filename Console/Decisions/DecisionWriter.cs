using System.Text.Json;
using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Policy;
using Npgsql;

namespace ModerationConsole.Decisions;

/// <summary>
/// Writes final decisions inside the caller's transaction: the decision row, the user's strike on a block (and what the
/// enforcement ladder makes of it, see <see cref="Enforcement.DecisionStrikes"/>), the audit entry, and a NOTIFY (sent
/// once the transaction committed) that pushes the notice to the producer.
/// </summary>
public sealed class DecisionWriter(Enforcement.LadderHints hints)
{
    public const string Channel = "decisions";

    /// <remarks>
    /// Everything is sent as one batch (one round trip however many decisions): the cursor locks, then the decisions
    /// with their audit entries and strikes. Several new decisions go in one statement; a single one (a moderator's
    /// decide, on the hot path of every claim) and overturns (each first reads the decision it replaces) go in one
    /// simpler statement each, with the strike change.
    /// </remarks>
    public async Task<IReadOnlyList<long>> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<PendingDecision> pending,
        PolicyDocument? policy = null)
    {
        if (pending.Count == 0) return [];
        await using var batch = new NpgsqlBatch(connection, transaction);
        var written = await AddToAsync(batch, pending, policy);
        await using var reader = await batch.ExecuteReaderAsync();
        return await written.ReadAsync(reader);
    }

    /// <summary>
    /// Whether a block of <paramref name="decision"/> alone needs an explicit transaction for the enforcement ladder
    /// (<see cref="Enforcement.LadderHints.NeedTransaction"/>), rather than <c>unlessLadderActs</c>.
    /// </summary>
    public bool LadderNeedsTransaction(PendingDecision decision, PolicyDocument policy) =>
        // A restriction's strike is written in a transaction: the in-batch ladder weighs blocks by their categories only.
        decision.OutcomeStrikeWeight > 0
        || (decision.Decision == DecisionKinds.Blocked && hints.NeedTransaction(policy.Enforcement, decision.Categories, !decision.Automated));

    /// <summary>Counts a block written again in a transaction after its batch failed on a stale hint (a metric).</summary>
    public void LadderRetried() => hints.Retried();

    /// <summary>
    /// Adds the statements that write <paramref name="pending"/> to <paramref name="batch"/>, after whatever it already
    /// holds (a caller may put its own precondition first, so that the whole batch is one round trip and one transaction).
    /// Execute the batch, then call <see cref="WrittenDecisions.ReadAsync"/> with its reader.
    /// </summary>
    /// <remarks>
    /// A block or an overturn also changes the user's strikes and may move them on the enforcement ladder (under
    /// <paramref name="policy"/>, read here when not given): those statements join the batch, and an action the ladder
    /// takes is written after it, so such a batch must belong to an explicit transaction.
    /// </remarks>
    /// <param name="unlessLadderActs">
    /// For one block in a batch without a transaction: the ladder acts in the batch (<see cref="Enforcement.LadderInBatch"/>),
    /// which fails (<see cref="Enforcement.DecisionStrikes.LadderActs"/>) when its notice cannot be written there; write
    /// that block again in a transaction.
    /// </param>
    public async Task<WrittenDecisions> AddToAsync(NpgsqlBatch batch, IReadOnlyList<PendingDecision> pending, PolicyDocument? policy = null,
        bool unlessLadderActs = false)
    {
        var concernsStrikes = pending.Any(Enforcement.DecisionStrikes.Concerns);
        if (concernsStrikes && batch.Transaction is null && !unlessLadderActs)
            throw new InvalidOperationException("Blocks and overturns are written in an explicit transaction: their strikes and enforcement commit with them.");
        if (concernsStrikes) policy ??= (await PolicyStore.LoadActiveAsync(batch.Connection!, batch.Transaction)).Document;
        // The decision id is the producer's cursor: a reader must never see 102, store it, and miss 101 committing later.
        // Writers hold a shared per-producer lock from before taking an id until commit; the cursor reader takes it
        // exclusively for the moment it reads (DecisionFeed), so it reads only when no id below the sequence's current
        // value is still in flight. Writers do not wait for each other. Taken in producer order to avoid deadlocks.
        foreach (var producerId in pending.Select(p => p.ProducerId).Distinct().Order())
            batch.BatchCommands.Add(BatchCommand.Of("select pg_advisory_xact_lock_shared(@lockClass, @producerId::int4)",
                ("lockClass", CursorLockClass), ("producerId", producerId)));

        // One statement for many items (an ingest call's automatic decisions, a bulk action): PostgreSQL's work per
        // statement is paid once, not per decision. Two decisions on one item in a call take the general path.
        if (pending.Count > 1 && pending.All(p => p.Overturns is null) && pending.DistinctBy(p => p.ItemId).Count() == pending.Count)
        {
            batch.BatchCommands.Add(NewDecisionsCommand(pending));
            return new WrittenDecisions(batch, pending.Count, concernsStrikes ? Enforcement.DecisionStrikes.AddTo(batch, policy!, pending) : null);
        }

        foreach (var decision in pending)
        {
            var actor = ActorOf(decision);
            var insert = BatchCommand.Of(InsertDecisionSql,
                ("itemId", decision.ItemId), ("producerId", decision.ProducerId), ("decision", decision.Decision),
                ("categories", decision.Categories.ToArray()), ("reason", decision.Reason), ("note", decision.Note),
                ("automated", decision.Automated), ("decidedBy", decision.DecidedBy), ("overturns", decision.Overturns),
                ("actorKind", actor.KindText), ("actorId", actor.Id), ("decidedAt", decision.DecidedAt?.UtcDateTime),
                ("action", decision.Overturns is null ? AuditActions.ItemDecided : AuditActions.DecisionOverturned),
                ("details", AuditDetails(decision)), ("outcome", decision.Outcome));
            batch.BatchCommands.Add(insert);

            var change = await StrikeChangeAsync(batch.Connection!, batch.Transaction, decision);
            if (change != 0)
                batch.BatchCommands.Add(BatchCommand.Of(change > 0 ? AddStrikeSql : LiftStrikeSql,
                    ("producerId", decision.ProducerId), ("userId", decision.PlatformUserId)));
        }
        return new WrittenDecisions(batch, pending.Count, concernsStrikes ? Enforcement.DecisionStrikes.AddTo(batch, policy!, pending, unlessLadderActs, hints) : null);
    }

    /// <summary>The decisions of an executed batch: their ids, and the notice that pushes them to producers.</summary>
    public sealed class WrittenDecisions
    {
        private readonly NpgsqlBatch batch;
        private readonly int count;
        private readonly Enforcement.DecisionStrikes? strikes;

        internal WrittenDecisions(NpgsqlBatch batch, int count, Enforcement.DecisionStrikes? strikes) =>
            (this.batch, this.count, this.strikes) = (batch, count, strikes);

        /// <summary>
        /// Reads the new ids, in the order of the decisions, from the batch's results (positioned at its first), announces
        /// them, and lets the enforcement ladder act on what the strikes came to.
        /// </summary>
        public async Task<IReadOnlyList<long>> ReadAsync(NpgsqlDataReader reader)
        {
            // Statements that return no rows (the strikes) have no result set, so results are told apart by column name.
            var ids = new List<long>(count);
            do
            {
                if (reader.FieldCount > 0 && strikes is not null && await strikes.TryReadAsync(reader)) continue;
                while (await reader.ReadAsync())
                    if (reader.FieldCount == 1 && reader.GetName(0) == IdColumn) ids.Add(reader.GetInt64(0));
            }
            while (await reader.NextResultAsync());
            await reader.DisposeAsync();
            if (strikes is not null && batch.Transaction is { } transaction) await strikes.ApplyAsync(batch.Connection!, transaction, ids);
            if (strikes is not null) await strikes.AnnounceAsync(batch.Connection!);

            // NOTIFY payloads are limited to 8000 bytes; ids go in chunks well under that. Sent after commit when we can.
            foreach (var chunk in ids.Chunk(400))
            {
                var payload = string.Join(',', chunk);
                if (!PostCommitNotifications.TryDefer(Channel, payload))
                    await batch.Connection!.ExecuteAsync("select pg_notify(@channel, @payload)", new { channel = Channel, payload }, batch.Transaction);
            }
            return ids;
        }
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Who the audit entry names: the moderator who decided, or the console for automation.</summary>
    private static Actor ActorOf(PendingDecision decision) => decision.DecidedBy is { } userId ? Actor.User(userId) : Actor.Console;

    /// <summary>The decision's audit details before its id is added (internal for bench ingest's COPY rows).</summary>
    internal static string AuditDetails(PendingDecision decision) => decision.Outcome is null
        ? JsonSerializer.Serialize(new { decision.Decision, decision.Categories, decision.Note, decision.Automated, decision.Overturns }, Json)
        : JsonSerializer.Serialize(new { decision.Decision, decision.Categories, decision.Note, decision.Automated, decision.Overturns, decision.Outcome }, Json);

    private static NpgsqlBatchCommand NewDecisionsCommand(IReadOnlyList<PendingDecision> pending)
    {
        var actors = pending.Select(ActorOf).ToArray();
        return BatchCommand.Of(InsertNewDecisionsSql,
            ("itemIds", pending.Select(d => d.ItemId).ToArray()),
            ("producerIds", pending.Select(d => d.ProducerId).ToArray()),
            ("userIds", pending.Select(d => d.PlatformUserId).ToArray()),
            ("decisions", pending.Select(d => d.Decision).ToArray()),
            ("categories", pending.Select(d => JsonSerializer.Serialize(d.Categories, Json)).ToArray()),
            ("reasons", pending.Select(d => d.Reason).ToArray()),
            ("notes", pending.Select(d => d.Note).ToArray()),
            ("decidedBy", pending.Select(d => d.DecidedBy).ToArray()),
            ("decidedAt", pending.Select(d => d.DecidedAt?.UtcDateTime).ToArray()),
            ("actorKinds", actors.Select(a => a.KindText).ToArray()),
            ("actorIds", actors.Select(a => a.Id).ToArray()),
            ("details", pending.Select(AuditDetails).ToArray()),
            ("outcomes", pending.Select(d => d.Outcome).ToArray()),
            ("striking", pending.Select(d => d.Strikes).ToArray()),
            ("action", AuditActions.ItemDecided));
    }

    /// <summary>
    /// Decisions that replace none, as arrays side by side (one element per decision, item ids distinct): the rows,
    /// their audit entries (whose details gain the new decision's id) and a strike per block, summed per platform user.
    /// The ids come back in the decisions' order.
    /// </summary>
    private const string InsertNewDecisionsSql =
        $"""
        with input as (
            select * from unnest(@itemIds::bigint[], @producerIds::bigint[], @userIds::text[], @decisions::text[],
                                 @categories::jsonb[], @reasons::text[], @notes::text[], @decidedBy::bigint[],
                                 @actorKinds::text[], @actorIds::text[], @details::jsonb[], @decidedAt::timestamptz[], @outcomes::text[],
                                 @striking::boolean[])
                 with ordinality as i (item_id, producer_id, user_id, decision, categories, reason, note, decided_by,
                                       actor_kind, actor_id, details, decided_at, outcome, striking, n)),
        decided as (
            insert into decisions (item_id, producer_id, decision, categories, reason, note, automated, decided_by, decided_at, outcome)
            select item_id, producer_id, decision, array(select jsonb_array_elements_text(categories)), reason, note,
                   decided_by is null, decided_by, coalesce(decided_at, now()), outcome
            from input order by n
            returning id, item_id),
        audited as (
            {AuditLog.Insert}
            select input.actor_kind, input.actor_id, @action, item_id, jsonb_build_object('decisionId', decided.id) || input.details
            from decided join input using (item_id) order by input.n),
        strikes as (
            insert into platform_users (producer_id, user_id, strikes, last_strike_at)
            select producer_id, user_id, count(*), now() from input where striking group by producer_id, user_id
            on conflict (producer_id, user_id) do update set strikes = platform_users.strikes + excluded.strikes, last_strike_at = now())
        select decided.id as {IdColumn} from decided join input using (item_id) order by input.n
        """;

    /// <summary>The decision and its audit entry in one statement; the entry's details gain the new decision's id.</summary>
    private const string InsertDecisionSql =
        $"""
        with decided as (
            insert into decisions (item_id, producer_id, decision, categories, reason, note, automated, decided_by, overturns, decided_at, outcome)
            values (@itemId, @producerId, @decision, @categories, @reason, @note, @automated, @decidedBy, @overturns,
                    coalesce(@decidedAt::timestamptz, now()), @outcome)
            returning id, item_id),
        audited as (
            {AuditLog.Insert}
            select @actorKind, @actorId, @action, item_id, jsonb_build_object('decisionId', id) || @details::jsonb from decided)
        select id as decision_id from decided
        """;

    private const string IdColumn = "decision_id";

    private const string AddStrikeSql =
        """
        insert into platform_users (producer_id, user_id, strikes, last_strike_at) values (@producerId, @userId, 1, now())
        on conflict (producer_id, user_id) do update set strikes = platform_users.strikes + 1, last_strike_at = now()
        """;

    private const string LiftStrikeSql =
        "update platform_users set strikes = greatest(strikes - 1, 0) where producer_id = @producerId and user_id = @userId";

    /// <summary>
    /// +1 when the user earns a strike, -1 when an overturn lifts one, 0 otherwise: a block is a strike; overturning a
    /// block to an approval takes it back; changing a block's categories is still one strike.
    /// </summary>
    private static async Task<int> StrikeChangeAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, PendingDecision decision)
    {
        var strikes = decision.Strikes ? 1 : 0;
        if (decision.Overturns is not { } replaced) return strikes;
        // The replaced decision's strike: a block's, or a restriction's the policy weighted then.
        var replacedStruck = await connection.ExecuteScalarAsync<bool>(
            "select d.decision = 'blocked' or exists (select 1 from strikes s where s.decision_id = d.id) from decisions d where d.id = @replaced",
            new { replaced }, transaction) ? 1 : 0;
        return strikes - replacedStruck;
    }

    internal const int CursorLockClass = 0x4D43; // "MC": keeps our advisory locks apart from anyone else's
}
