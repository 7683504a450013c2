using System.Security.Claims;
using Dapper;
using Microsoft.Extensions.Options;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Hashing;
using ModerationConsole.Ingest;
using Npgsql;

namespace ModerationConsole.OptOuts;

/// <summary>What the platform sends to register an opt-out: a user id, or a picture (its PDQ hash, or the image itself).</summary>
public sealed class OptOutRequest
{
    /// <summary>The producer's own id for the opt-out: sending it again changes nothing; DELETE takes it back.</summary>
    public string? OptOutId { get; set; }
    /// <summary>The platform user who opted out: generations naming them in metadata "subjectUserIds" go to review.</summary>
    public string? UserId { get; set; }
    /// <summary>The PDQ hash (64 hex digits) of their face photo or artwork: generations within the bank's distance go to review.</summary>
    public string? Pdq { get; set; }
    /// <summary>Or the picture itself, base64; the console hashes it.</summary>
    public string? Image { get; set; }
    public string? Note { get; set; }
}

public sealed record OptOutReceipt(long Id, string OptOutId, string Kind, string Status);

public sealed class OptOut
{
    public long Id { get; init; }
    public long ProducerId { get; init; }
    public string ExternalId { get; init; } = "";
    public string Kind { get; init; } = "";
    public string? UserId { get; init; }
    public System.Collections.BitArray? PdqBits { get; init; }
    public string? Note { get; init; }
    public string AddedVia { get; init; } = "";

    /// <summary>The picture's PDQ hash in hex, for an image opt-out.</summary>
    public string? Pdq => PdqBits is null ? null : PdqHash.FromBitString(PdqBits).ToString();
    public DateTime AddedAt { get; init; }
}

/// <summary>The opt-out an arriving generation matched, for routing and the review page.</summary>
public sealed record OptOutMatch(long OptOutId, string Kind);

/// <summary>
/// The opt-out registry: platforms register people and creators who opted out, by user id or picture, and the
/// console sends generations that match to a person with the opt-out shown and "keep, do not distribute" suggested.
/// Matching runs in the database, one round trip per ingest call, and only for producers that have opt-outs.
/// </summary>
public sealed class OptOutRegistry(Db db, IOptions<HashingOptions> hashing)
{
    public const string Added = "opt_out.added";
    public const string Removed = "opt_out.removed";
    /// <summary>The metadata key naming the platform users a generation depicts or draws on, comma-separated.</summary>
    public const string SubjectsKey = "subjectUserIds";

    // Which producers have opt-outs, read again every few seconds: producers without any pay nothing at ingest.
    private volatile HashSet<long> withOptOuts = [];
    private DateTime readAt = DateTime.MinValue;

    public async Task<OptOutMatch?[]> MatchAsync(long producerId, IReadOnlyList<(IReadOnlyDictionary<string, string> Metadata, PdqResult Fingerprint)> items,
        CancellationToken ct)
    {
        var matches = new OptOutMatch?[items.Count];
        if (!(await ProducersWithOptOutsAsync(ct)).Contains(producerId)) return matches;
        var subjects = items.SelectMany((item, ord) => Subjects(item.Metadata).Select(subject => (Ord: ord, Subject: subject))).ToArray();
        var usable = items.Select((item, ord) => (Ord: ord, item.Fingerprint)).Where(i => i.Fingerprint.Quality >= hashing.Value.MinQuality).ToArray();
        var rows = await db.ReadAsync(c => c.QueryAsync<(int Ord, long Id, string Kind)>(
            """
            (select distinct on (s.ord) s.ord, o.id, o.kind
             from unnest(@subjectOrds::int[], @subjects::text[]) as s (ord, subject)
             join opt_outs o on o.producer_id = @producerId and o.kind = 'user' and o.removed_at is null and o.user_id = s.subject
             order by s.ord, o.id)
            union all
            (select distinct on (h.ord) h.ord, o.id, o.kind
             from unnest(@imageOrds::int[], @pdqs::varbit[]) as h (ord, pdq)
             join opt_outs o on o.producer_id = @producerId and o.kind = 'image' and o.removed_at is null
                            and bit_count(o.pdq # h.pdq::bit(256)) <= @distance
             order by h.ord, bit_count(o.pdq # h.pdq::bit(256)), o.id)
            """, new
            {
                producerId, subjectOrds = subjects.Select(s => s.Ord).ToArray(), subjects = subjects.Select(s => s.Subject).ToArray(),
                imageOrds = usable.Select(u => u.Ord).ToArray(), pdqs = usable.Select(u => u.Fingerprint.Hash.ToBitString()).ToArray(),
                distance = hashing.Value.BankMatchDistance,
            }), ct);
        foreach (var (ord, id, kind) in rows) matches[ord] ??= new OptOutMatch(id, kind);
        return matches;
    }

    private static IEnumerable<string> Subjects(IReadOnlyDictionary<string, string> metadata) =>
        metadata.TryGetValue(SubjectsKey, out var value)
            ? value.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct()
            : [];

    private async Task<HashSet<long>> ProducersWithOptOutsAsync(CancellationToken ct)
    {
        if (DateTime.UtcNow - readAt < TimeSpan.FromSeconds(5)) return withOptOuts;
        withOptOuts = (await db.ReadAsync(c => c.QueryAsync<long>("select distinct producer_id from opt_outs where removed_at is null"), ct)).ToHashSet();
        readAt = DateTime.UtcNow;
        return withOptOuts;
    }

    /// <summary>The producer registers an opt-out; every problem is named by its field and nothing is stored on any.</summary>
    public Task<OptOutReceipt> AddAsync(long producerId, OptOutRequest request, CancellationToken ct = default) =>
        AddAsync(producerId, request, Actor.Producer(producerId), null, "api", ct);

    /// <summary>An admin registers an opt-out received another way.</summary>
    public Task<OptOutReceipt> AddAsync(ClaimsPrincipal admin, long producerId, OptOutRequest request, CancellationToken ct = default)
    {
        var userId = admin.UserIdUnder(Policies.Admin, "Only admins manage the opt-out registry.");
        return AddAsync(producerId, request, Actor.User(userId), userId, "console", ct);
    }

    private Task<OptOutReceipt> AddAsync(long producerId, OptOutRequest request, Actor actor, long? addedBy, string via, CancellationToken ct)
    {
        var errors = new List<FieldError>();
        var externalId = request.OptOutId?.Trim();
        if (string.IsNullOrEmpty(externalId) || externalId.Length > 200) errors.Add(new FieldError("optOutId", "required, at most 200 characters"));
        var note = request.Note?.Trim();
        if (note is { Length: > 2000 }) errors.Add(new FieldError("note", "at most 2000 characters"));
        var given = new[] { request.UserId, request.Pdq, request.Image }.Count(v => !string.IsNullOrWhiteSpace(v));
        if (given != 1) errors.Add(new FieldError("userId", "give exactly one of userId, pdq or image"));
        PdqHash? hash = null;
        if (!string.IsNullOrWhiteSpace(request.Pdq))
        {
            if (PdqHash.TryParse(request.Pdq.Trim(), out var parsed)) hash = parsed;
            else errors.Add(new FieldError("pdq", "a PDQ hash: 64 hexadecimal digits"));
        }
        if (!string.IsNullOrWhiteSpace(request.Image))
        {
            byte[]? bytes = null;
            try { bytes = Convert.FromBase64String(request.Image); } catch (FormatException) { }
            if (bytes is null) errors.Add(new FieldError("image", "not base64"));
            else if (ImageFingerprint.TryHash(bytes) is not { } fingerprint) errors.Add(new FieldError("image", "not an image this console decodes"));
            else if (fingerprint.Quality < hashing.Value.MinQuality)
                errors.Add(new FieldError("image", $"too plain to match safely (PDQ quality {fingerprint.Quality}, the minimum is {hashing.Value.MinQuality})"));
            else hash = fingerprint.Hash;
        }
        var user = request.UserId?.Trim();
        if (user is { Length: > 256 }) errors.Add(new FieldError("userId", "at most 256 characters"));
        if (errors.Count > 0) throw new FieldErrorsException(errors);

        var kind = hash is null ? "user" : "image";
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var id = await connection.ExecuteScalarAsync<long?>(
                """
                insert into opt_outs (producer_id, external_id, kind, user_id, pdq, note, added_via, added_by)
                values (@producerId, @externalId, @kind, @user, @pdq::bit(256), @note, @via, @addedBy)
                on conflict (producer_id, external_id) do nothing returning id
                """, new { producerId, externalId, kind, user = hash is null ? user : null, pdq = hash, note, via, addedBy }, transaction);
            if (id is null)
            {
                var existing = await connection.QuerySingleAsync<(long Id, string Kind)>(
                    "select id, kind from opt_outs where producer_id = @producerId and external_id = @externalId", new { producerId, externalId }, transaction);
                return new OptOutReceipt(existing.Id, externalId!, existing.Kind, "duplicate");
            }
            await AuditLog.AppendAsync(connection, transaction, actor, Added, null, new { optOutId = id, producerId, externalId, kind, note });
            readAt = DateTime.MinValue;
            return new OptOutReceipt(id.Value, externalId!, kind, "added");
        }, ct);
    }

    /// <summary>The producer, or an admin on its behalf, takes an opt-out back; true when one was in force.</summary>
    public Task<bool> RemoveAsync(long producerId, string externalId, Actor actor, CancellationToken ct = default) =>
        db.InTransactionAsync(async (connection, transaction) =>
        {
            var id = await connection.ExecuteScalarAsync<long?>(
                "update opt_outs set removed_at = now() where producer_id = @producerId and external_id = @externalId and removed_at is null returning id",
                new { producerId, externalId }, transaction);
            if (id is null) return false;
            await AuditLog.AppendAsync(connection, transaction, actor, Removed, null, new { optOutId = id, producerId, externalId });
            readAt = DateTime.MinValue;
            return true;
        }, ct);

    public Task<IReadOnlyList<OptOut>> ListAsync(ClaimsPrincipal admin, CancellationToken ct = default)
    {
        admin.UserIdUnder(Policies.Admin, "Only admins manage the opt-out registry.");
        return db.ReadAsync<IReadOnlyList<OptOut>>(async c => (await c.QueryAsync<OptOut>(
            """
            select id, producer_id as producerid, external_id as externalid, kind, user_id as userid, pdq as pdqbits, note,
                   added_via as addedvia, added_at as addedat
            from opt_outs where removed_at is null order by id desc limit 1000
            """)).AsList(), ct);
    }
}
