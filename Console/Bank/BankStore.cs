using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Hashing;
using Npgsql;

namespace ModerationConsole.Bank;

// Settable properties: Dapper reads text[] as System.Array, which it cannot match to a constructor parameter.
public sealed class BankEntry
{
    public long Id { get; init; }
    public PdqHash Hash { get; init; }
    public int? Quality { get; init; }
    public string[] Categories { get; init; } = [];
    public string Source { get; init; } = "";
    /// <summary>Which bank (<see cref="BankNames"/>).</summary>
    public string Bank { get; init; } = BankNames.General;
    public long? ItemId { get; init; }
    public string? Note { get; init; }
    public string? AddedBy { get; init; }
    public DateTimeOffset AddedAt { get; init; }
}

/// <summary>One change to the bank, in commit order: an entry added, or (Removed) taken out.</summary>
public sealed class BankChange
{
    public long ChangeSeq { get; init; }
    public long Id { get; init; }
    public PdqHash Hash { get; init; }
    public bool Removed { get; init; }
}

/// <summary>
/// The banks one block bank holds: hashes banked by moderators and imported lists, hashes of confirmed child-safety
/// images (Cases), and the victim bank of images taken down on a removal request. All of them block at ingest.
/// </summary>
public static class BankNames
{
    public const string General = "general";
    public const string ChildSafety = "child_safety";
    public const string Victim = "victim";
}

/// <summary>
/// The block bank's SQL. Every change takes the bank's advisory lock for the rest of its transaction and stamps the
/// entry with the next change number, so change numbers are handed out in commit order and readers never skip one.
/// </summary>
public static class BankStore
{
    private const long ChangeLock = 0x62616E6B; // "bank"

    /// <summary>Adds a hash (unless an active entry holds the very same hash); returns the entry id, or null when it was there already.</summary>
    public static async Task<long?> AddAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Actor actor,
        PdqHash hash, int? quality, IReadOnlyList<string> categories, string source, long? itemId, string? note, long? addedBy,
        string bank = BankNames.General)
    {
        await connection.ExecuteAsync("select pg_advisory_xact_lock(@ChangeLock)", new { ChangeLock }, transaction);
        var id = await connection.QuerySingleOrDefaultAsync<long?>(
            """
            insert into block_bank (pdq, quality, categories, source, item_id, note, added_by, change_seq, bank)
            values (@pdq::bit(256), @quality, @categories, @source, @itemId, @note, @addedBy, nextval('block_bank_changes'), @bank)
            on conflict (pdq) where removed_at is null do nothing
            returning id
            """,
            new { pdq = hash, quality = (short?)quality, categories = categories.ToArray(), source, itemId, note, addedBy, bank }, transaction);
        if (id is not null)
            await AuditLog.AppendAsync(connection, transaction, actor, AuditActions.BankAdded, itemId,
                new { entry = id, pdq = hash.ToString(), quality, categories, source, note, bank });
        return id;
    }

    public static async Task<bool> RemoveAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long userId, long entryId, string reason)
    {
        await connection.ExecuteAsync("select pg_advisory_xact_lock(@ChangeLock)", new { ChangeLock }, transaction);
        var removed = await connection.QuerySingleOrDefaultAsync<(long Id, long? ItemId)?>(
            """
            update block_bank set removed_at = now(), removed_by = @userId, removal_reason = @reason, change_seq = nextval('block_bank_changes')
            where id = @entryId and removed_at is null
            returning id, item_id
            """, new { userId, entryId, reason }, transaction);
        if (removed is null) return false;
        await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), AuditActions.BankRemoved, removed.Value.ItemId,
            new { entry = entryId, reason });
        return true;
    }

    public static async Task<IReadOnlyList<BankChange>> ChangesSinceAsync(NpgsqlConnection connection, long changeSeq, int limit)
    {
        var rows = await connection.QueryAsync<BankChange>(
            """
            select change_seq as changeseq, id, pdq as hash, removed_at is not null as removed
            from block_bank where change_seq > @changeSeq order by change_seq limit @limit
            """, new { changeSeq, limit });
        return rows.ToList();
    }

    /// <summary>Active entries, newest first, paged by id.</summary>
    public static async Task<IReadOnlyList<BankEntry>> ListAsync(NpgsqlConnection connection, long? beforeId, int limit)
    {
        var rows = await connection.QueryAsync<BankEntry>(
            """
            select b.id, b.pdq as hash, b.quality::int as quality, b.categories, b.source, b.bank, b.item_id as itemid, b.note,
                   u.email as addedby, b.added_at as addedat
            from block_bank b left join users u on u.id = b.added_by
            where b.removed_at is null and (@beforeId::bigint is null or b.id < @beforeId)
            order by b.id desc limit @limit
            """, new { beforeId, limit });
        return rows.ToList();
    }

    public static Task<long> CountAsync(NpgsqlConnection connection) =>
        connection.ExecuteScalarAsync<long>("select count(*) from block_bank where removed_at is null");
}
