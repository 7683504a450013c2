using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using ModerationConsole.Data;
using Npgsql;

namespace ModerationConsole.Audit;

/// <summary>The outcome of re-computing the chain: how far it holds, and the first entry that does not match.</summary>
/// <remarks>
/// The head hash stands for the whole log up to that point: an auditor who records it outside the console can later
/// tell a rewritten chain (every hash recomputed by someone with database access) from the one they saw.
/// </remarks>
public sealed record ChainVerification(long EntriesChecked, long AwaitingSeal, ChainBreak? FirstBreak, string HeadHash)
{
    public bool Intact => FirstBreak is null;

    public override string ToString() => FirstBreak is { } broken
        ? $"The audit log was altered: {broken}. The {EntriesChecked} entries before it match."
        : $"The audit log is intact: {EntriesChecked} entries chained and verified; head hash {HeadHash}" +
          (AwaitingSeal > 0 ? $"; {AwaitingSeal} newer entries are in transactions still open and not chained yet." : ".");
}

/// <summary>Where the chain stops matching: the entry (when it still exists), its position, and what is wrong.</summary>
public sealed record ChainBreak(long Position, long? EntryId, string Problem)
{
    public override string ToString() =>
        $"{(EntryId is { } id ? $"entry #{id}" : "an entry")} at chain position {Position} {Problem}";
}

/// <summary>
/// The tamper-evident hash chain over the audit log (db/0002_audit_chain.sql). <see cref="SealAsync"/> chains the
/// entries whose transactions have all ended; <see cref="VerifyAsync"/> re-computes every hash from the entries as
/// they are now and names the first one that does not match.
/// </summary>
public sealed class AuditChain(Db db)
{
    /// <summary>The advisory lock key sealers take turns on.</summary>
    const long SealerLock = 0x4155_4449_545F_5345; // "AUDIT_SE"
    const int SealBatch = 5000;

    /// <summary>How many entries are stored but not chained yet.</summary>
    internal const string AwaitingSealCount =
        "select count(*) from audit_log a where not exists (select 1 from audit_chain c where c.entry_id = a.id)";
    static readonly byte[] Genesis = new byte[32];

    /// <summary>Chains every entry that is final. Returns how many were sealed.</summary>
    public async Task<long> SealAsync(CancellationToken ct = default)
    {
        long total = 0;
        while (true)
        {
            var sealedNow = await db.InTransactionAsync(SealBatchAsync, ct);
            total += sealedNow;
            if (sealedNow < SealBatch) return total;
        }
    }

    async Task<long> SealBatchAsync(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        // Sealers (one per console instance, and verify) take turns; each batch is short.
        await connection.ExecuteAsync("select pg_advisory_xact_lock(@SealerLock)", new { SealerLock }, transaction);
        var last = await connection.QuerySingleOrDefaultAsync<LastLink>(
            """
            select c.position, c.hash, a.written_by::text as writtenby, a.id as entryid
            from audit_chain c join audit_log a on a.id = c.entry_id
            order by c.position desc limit 1
            """, transaction: transaction);
        // Entries after the last sealed one, and written by transactions that have all ended.
        var entries = (await connection.QueryAsync<Entry>(
            $"""
            select {Entry.Columns}
            from audit_log a
            where (a.written_by, a.id) > (@writtenBy::xid8, @entryId)
              and a.written_by < pg_snapshot_xmin(pg_current_snapshot())
            order by a.written_by, a.id
            limit {SealBatch}
            """,
            new { writtenBy = last?.WrittenBy ?? "0", entryId = last?.EntryId ?? 0 }, transaction)).ToList();
        if (entries.Count == 0) return 0;

        var position = last?.Position ?? 0;
        var previous = last?.Hash ?? Genesis;
        var positions = new long[entries.Count];
        var entryIds = new long[entries.Count];
        var previousHashes = new byte[entries.Count][];
        var hashes = new byte[entries.Count][];
        for (var i = 0; i < entries.Count; i++)
        {
            position++;
            (positions[i], entryIds[i], previousHashes[i]) = (position, entries[i].Id, previous);
            previous = hashes[i] = Hash(previous, position, entries[i]);
        }
        // One statement for the batch: the sealer's transaction stays short, and with it the time its snapshot keeps
        // PostgreSQL from clearing away dead rows (which every claim would otherwise step over).
        await connection.ExecuteAsync(
            """
            insert into audit_chain (position, entry_id, previous, hash)
            select * from unnest(@positions, @entryIds, @previousHashes, @hashes)
            """,
            new { positions, entryIds, previousHashes, hashes }, transaction);
        return entries.Count;
    }

    /// <summary>
    /// Seals what is final, then walks the whole chain in order: each link must follow the one before it, point at an
    /// entry that still exists, and carry the hash of that entry as it reads now.
    /// </summary>
    public async Task<ChainVerification> VerifyAsync(CancellationToken ct = default)
    {
        await SealAsync(ct);
        await using var connection = await db.DataSource.OpenConnectionAsync(ct);
        // One snapshot for the walk and the count of entries still waiting, so both describe the same moment.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        long checkedCount = 0;
        var previous = Genesis;
        var links = connection.QueryUnbufferedAsync<Link>(
            $"""
            select c.position, c.entry_id as linkedentry, c.previous, c.hash, a.id is not null as entryexists, {Entry.Columns}
            from audit_chain c left join audit_log a on a.id = c.entry_id
            order by c.position
            """, transaction: transaction);
        ChainBreak? broken = null;
        await foreach (var link in links.WithCancellation(ct))
        {
            var expectedPosition = checkedCount + 1;
            broken = link switch
            {
                _ when link.Position != expectedPosition =>
                    new ChainBreak(expectedPosition, null, $"is missing from the chain (the next link is at position {link.Position})"),
                { EntryExists: false } => new ChainBreak(link.Position, link.LinkedEntry, "was deleted from the audit log"),
                _ when !link.Previous.AsSpan().SequenceEqual(previous) =>
                    new ChainBreak(link.Position, link.LinkedEntry, "does not follow the link before it (its previous hash differs)"),
                _ when !link.Hash.AsSpan().SequenceEqual(Hash(previous, link.Position, link)) =>
                    new ChainBreak(link.Position, link.LinkedEntry, "does not match its hash: its content was changed after it was written"),
                _ => null,
            };
            if (broken is not null) break;
            previous = link.Hash;
            checkedCount++;
        }
        var awaiting = broken is null
            ? await connection.ExecuteScalarAsync<long>(AwaitingSealCount, transaction: transaction)
            : 0;
        await transaction.CommitAsync(ct);
        return new ChainVerification(checkedCount, awaiting, broken, Convert.ToHexStringLower(previous));
    }

    /// <summary>
    /// SHA-256 of the previous hash and the entry's canonical text: position, id, time in UTC to the microsecond (what
    /// PostgreSQL stores), actor, action, item and details as PostgreSQL prints jsonb (a normal form), one per line.
    /// </summary>
    static byte[] Hash(byte[] previous, long position, Entry entry) =>
        LinkHash(previous, position, entry.Id, CanonicalTime(entry.At), entry.ActorKind, entry.ActorId, entry.Action, entry.ItemId, entry.Details);

    /// <summary>An entry's time as its canonical text holds it: UTC to the microsecond.</summary>
    public static string CanonicalTime(DateTime at) =>
        DateTime.SpecifyKind(at, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The hash of one link, from its parts (also what an evidence bundle's verifier recomputes offline).</summary>
    public static byte[] LinkHash(byte[] previous, long position, long id, string at, string actorKind, string actorId, string action,
        long? itemId, string details)
    {
        var canonical = string.Join('\n',
            position.ToString(CultureInfo.InvariantCulture),
            id.ToString(CultureInfo.InvariantCulture),
            at,
            actorKind,
            actorId,
            action,
            itemId?.ToString(CultureInfo.InvariantCulture) ?? "",
            details);
        var text = Encoding.UTF8.GetBytes(canonical);
        var input = new byte[previous.Length + text.Length];
        previous.CopyTo(input, 0);
        text.CopyTo(input, previous.Length);
        return SHA256.HashData(input);
    }

    // Dapper rows: settable properties (see DecisionFeed.Row for why not positional records). Internal: an evidence
    // bundle (Cases/EvidenceBundle) reads chained entries with the very columns the chain hashes.
    internal class Entry
    {
        public const string Columns =
            "a.id, a.at, a.actor_kind as actorkind, a.actor_id as actorid, a.action, a.item_id as itemid, a.details::text as details";

        public long Id { get; init; }
        public DateTime At { get; init; }
        public string ActorKind { get; init; } = "";
        public string ActorId { get; init; } = "";
        public string Action { get; init; } = "";
        public long? ItemId { get; init; }
        public string Details { get; init; } = "";
    }

    internal sealed class Link : Entry
    {
        public long Position { get; init; }
        public long LinkedEntry { get; init; }
        public byte[] Previous { get; init; } = [];
        public byte[] Hash { get; init; } = [];
        public bool EntryExists { get; init; }
    }

    sealed class LastLink
    {
        public long Position { get; init; }
        public byte[] Hash { get; init; } = [];
        public string WrittenBy { get; init; } = "0";
        public long EntryId { get; init; }
    }
}
