using Dapper;
using ModerationConsole.Data;
using ModerationConsole.Ingest;

namespace ModerationConsole.Decisions;

/// <summary>Reads decisions as the notices producers receive: by id (to push them) and by cursor (to catch up).</summary>
public sealed class DecisionFeed(Db db, Policy.PolicyStore policies)
{
    public const int MaxPageSize = 1000;

    private const string Select =
        """
        select d.id as Cursor, d.item_id as ItemId, d.producer_id as ProducerId, r.generation_id as GenerationId,
               d.decision as Decision, d.categories as Categories, d.reason as Reason, d.automated as Automated,
               d.decided_at as DecidedAt, d.overturns as Overturns, d.outcome as Outcome, r.language as Language,
               p.understands_outcomes as UnderstandsOutcomes
        from decisions d join review_items r on r.id = d.item_id join producers p on p.id = d.producer_id
        """;

    public async Task<IReadOnlyList<(long ProducerId, DecisionNotice Notice)>> ByIdsAsync(IReadOnlyList<long> ids, CancellationToken ct)
    {
        var policy = (await policies.RememberedActiveAsync(ct)).Document;
        return await db.ReadAsync<IReadOnlyList<(long, DecisionNotice)>>(async connection =>
            (await connection.QueryAsync<Row>(Select + " where d.id = any(@ids) order by d.id", new { ids = ids.ToArray() }))
                .Select(r => (r.ProducerId, r.ToNotice(policy))).ToList(), ct);
    }

    /// <summary>The producer's decisions after <paramref name="after"/>, in cursor order.</summary>
    /// <remarks>
    /// Reads under the producer's cursor lock (exclusive; writers hold it shared until they commit, see
    /// <see cref="DecisionWriter"/>): once it is granted no decision of this producer is in flight, so every id up to the
    /// newest one visible has committed or never will, and a producer that stores the last cursor misses nothing.
    /// </remarks>
    public async Task<DecisionPage> PageAsync(long producerId, long after, int limit, CancellationToken ct)
    {
        var policy = (await policies.RememberedActiveAsync(ct)).Document;
        return await db.InTransactionAsync(async (connection, transaction) =>
        {
            await connection.ExecuteAsync("select pg_advisory_xact_lock(@lockClass, @producerId::int4)",
                new { lockClass = DecisionWriter.CursorLockClass, producerId }, transaction);
            var rows = (await connection.QueryAsync<Row>(
                Select + " where d.producer_id = @producerId and d.id > @after order by d.id limit @limit",
                new { producerId, after, limit }, transaction)).Select(r => r.ToNotice(policy)).ToList();
            return new DecisionPage(rows, rows.Count > 0 ? rows[^1].Cursor : after);
        }, ct);
    }

    // Settable properties rather than a positional record: Dapper reads text[] as System.Array, which it cannot match
    // to a constructor parameter, but it assigns to a string[] property.
    private sealed class Row
    {
        public long Cursor { get; init; }
        public long ItemId { get; init; }
        public long ProducerId { get; init; }
        public string GenerationId { get; init; } = "";
        public string Decision { get; init; } = "";
        public string[] Categories { get; init; } = [];
        public string Reason { get; init; } = "";
        public bool Automated { get; init; }
        public DateTimeOffset DecidedAt { get; init; }
        public long? Overturns { get; init; }
        public string? Outcome { get; init; }
        public string? Language { get; init; }
        public bool UnderstandsOutcomes { get; init; }

        /// <summary>
        /// The notice: a restricted outcome reads as blocked to a producer that has not declared it understands outcomes
        /// (it would otherwise publish an image the platform must gate, label or keep back); an approval carries its marking.
        /// </summary>
        public DecisionNotice ToNotice(Policy.PolicyDocument policy)
        {
            var outcome = Outcome ?? Policy.Outcomes.Of(Decision);
            // An outcome a later policy dropped is still a restriction: the safe reading.
            var rule = policy.FindOutcome(outcome);
            var restricted = Outcome is not null && rule is not { Restricted: false };
            var decision = restricted && !UnderstandsOutcomes ? DecisionKinds.Blocked : Decision;
            var marking = decision == DecisionKinds.Approved && rule is not null ? Marking.Of(rule, Language) : null;
            return new(GenerationId, ItemId, decision, Categories, Reason, Automated, DecidedAt, Cursor, Overturns, outcome, marking);
        }
    }
}
