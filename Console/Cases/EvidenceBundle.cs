using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Hashing;
using Npgsql;

namespace ModerationConsole.Cases;

/// <summary>
/// The evidence bundle of a case: a ZIP of its original image bytes and a manifest (the generation as the producer sent
/// it, hashes, decisions, and every chained audit entry about the case or its items with its chain link), built from
/// the database in the caller's transaction. The bundle is deterministic for a given state, so it can be rebuilt and
/// compared; <see cref="BundleVerifier"/> checks one offline.
/// </summary>
public static class EvidenceBundle
{
    /// <summary>The audit entries (<c>a</c>) a bundle holds: about its items (<c>@itemIds</c>) or naming the case (<c>@caseId</c>).</summary>
    internal const string AboutCaseSql = "a.item_id = any(@itemIds) or (a.details ? 'caseId' and (a.details ->> 'caseId')::bigint = @caseId)";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public sealed record Built(byte[] Zip, byte[] ManifestSha256, EvidenceManifest Manifest);

    public static async Task<Built> BuildAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long caseId, string sealedBy,
        DateTimeOffset sealedAt)
    {
        var theCase = await connection.QuerySingleAsync<CaseRow>(
            """
            select c.id, c.kind, c.status, p.name as producer, c.user_id as userid, c.summary, c.opened_at as openedat,
                   c.report_id as reportid, c.reported_at as reportedat
            from cases c join producers p on p.id = c.producer_id where c.id = @caseId
            """, new { caseId }, transaction);
        var items = (await connection.QueryAsync<ItemRow>(
            """
            select r.id, r.generation_id as generationid, r.user_id as userid, r.user_tier as usertier, r.jurisdiction, r.age_verified as ageverified,
                   r.prompt, r.negative_prompt as negativeprompt, r.model, r.metadata::text as metadata, r.created_at as createdat,
                   r.received_at as receivedat, r.content_purged_at as contentpurgedat, i.sha256, i.content_type as contenttype, i.width, i.height,
                   i.bytes, i.pdq, i.pdq_quality as pdqquality, i.purged_at as purgedat
            from case_items ci join review_items r on r.id = ci.item_id join images i on i.sha256 = r.image_sha256
            where ci.case_id = @caseId order by r.id
            """, new { caseId }, transaction)).ToList();
        var itemIds = items.Select(i => i.Id).ToArray();
        var decisions = (await connection.QueryAsync<DecisionRow>(
            """
            select d.id, d.item_id as itemid, d.decision, d.categories, d.reason, d.note, d.automated, u.email as decidedby,
                   d.decided_at as decidedat, d.overturns
            from decisions d left join users u on u.id = d.decided_by where d.item_id = any(@itemIds) order by d.id
            """, new { itemIds }, transaction)).ToLookup(d => d.ItemId);
        var audit = (await connection.QueryAsync<AuditChain.Link>(
            $"""
            select c.position, c.previous, c.hash, {AuditChain.Entry.Columns}
            from audit_log a join audit_chain c on c.entry_id = a.id
            where {AboutCaseSql}
            order by c.position
            """, new { itemIds, caseId }, transaction)).ToList();

        var files = new List<(EvidenceFile File, byte[] Bytes)>();
        var evidenceItems = new List<EvidenceItem>();
        foreach (var item in items)
        {
            string? path = null;
            string? md5 = null;
            if (item.Bytes is { } bytes)
            {
                path = $"items/{item.Id}{Extension(item.ContentType)}";
                md5 = Convert.ToHexStringLower(MD5.HashData(bytes));
                files.Add((new EvidenceFile(path, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)), md5), bytes));
            }
            var image = new EvidenceImage(path, item.ContentType, item.Width, item.Height, Convert.ToHexStringLower(item.Sha256), md5,
                item.Pdq is null ? null : PdqHash.FromBitString(item.Pdq).ToString(), item.PdqQuality, item.PurgedAt);
            evidenceItems.Add(new EvidenceItem(item.Id, item.GenerationId, item.UserId, item.UserTier, item.Jurisdiction, item.AgeVerified,
                item.Prompt, item.NegativePrompt, item.Model,
                item.Metadata is null ? null : JsonDocument.Parse(item.Metadata).RootElement.Clone(),
                item.CreatedAt, item.ReceivedAt, item.ContentPurgedAt, image,
                decisions[item.Id].Select(d => new EvidenceDecision(d.Id, d.Decision, d.Categories, d.Reason, d.Note, d.Automated, d.DecidedBy,
                    d.DecidedAt, d.Overturns)).ToList()));
        }
        var manifest = new EvidenceManifest(EvidenceManifest.CurrentFormat,
            new EvidenceCase(theCase.Id, theCase.Kind, theCase.Status, theCase.Producer, theCase.UserId, theCase.Summary, theCase.OpenedAt,
                theCase.ReportId, theCase.ReportedAt),
            sealedAt, sealedBy, evidenceItems, files.Select(f => f.File).ToList(),
            audit.Select(a => new EvidenceAuditEntry(a.Position, a.Id, AuditChain.CanonicalTime(a.At), a.ActorKind, a.ActorId, a.Action, a.ItemId,
                a.Details, Convert.ToHexStringLower(a.Previous), Convert.ToHexStringLower(a.Hash))).ToList());
        var manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, Json);

        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(archive, EvidenceManifest.FileName, manifestBytes, CompressionLevel.Optimal, sealedAt);
            // Images are compressed already; storing them keeps the bytes as they were, visible to any ZIP tool.
            foreach (var (file, bytes) in files) Add(archive, file.Path, bytes, CompressionLevel.NoCompression, sealedAt);
        }
        return new Built(zip.ToArray(), SHA256.HashData(manifestBytes), manifest);
    }

    private static void Add(ZipArchive archive, string path, byte[] bytes, CompressionLevel level, DateTimeOffset at)
    {
        var entry = archive.CreateEntry(path, level);
        entry.LastWriteTime = at;
        using var stream = entry.Open();
        stream.Write(bytes);
    }

    public static string Extension(string contentType) => contentType switch
    {
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        _ => ".webp",
    };

    // Dapper rows: settable properties (text[] and bit(256) bind to properties, not constructor parameters).
    private sealed class CaseRow
    {
        public long Id { get; init; }
        public string Kind { get; init; } = "";
        public string Status { get; init; } = "";
        public string Producer { get; init; } = "";
        public string UserId { get; init; } = "";
        public string Summary { get; init; } = "";
        public DateTimeOffset OpenedAt { get; init; }
        public string? ReportId { get; init; }
        public DateTimeOffset? ReportedAt { get; init; }
    }

    private sealed class ItemRow
    {
        public long Id { get; init; }
        public string GenerationId { get; init; } = "";
        public string UserId { get; init; } = "";
        public string? UserTier { get; init; }
        public string? Jurisdiction { get; init; }
        public bool? AgeVerified { get; init; }
        public string Prompt { get; init; } = "";
        public string? NegativePrompt { get; init; }
        public string? Model { get; init; }
        public string? Metadata { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset ReceivedAt { get; init; }
        public DateTimeOffset? ContentPurgedAt { get; init; }
        public byte[] Sha256 { get; init; } = [];
        public string ContentType { get; init; } = "";
        public int Width { get; init; }
        public int Height { get; init; }
        public byte[]? Bytes { get; init; }
        public System.Collections.BitArray? Pdq { get; init; }
        public short? PdqQuality { get; init; }
        public DateTimeOffset? PurgedAt { get; init; }
    }

    private sealed class DecisionRow
    {
        public long Id { get; init; }
        public long ItemId { get; init; }
        public string Decision { get; init; } = "";
        public string[] Categories { get; init; } = [];
        public string Reason { get; init; } = "";
        public string? Note { get; init; }
        public bool Automated { get; init; }
        public string? DecidedBy { get; init; }
        public DateTimeOffset DecidedAt { get; init; }
        public long? Overturns { get; init; }
    }
}

/// <summary>
/// Seals a case's evidence: the audit chain is brought up to date first (outside the case's transaction, so the entries
/// written so far carry their links), then the bundle is built and stored with its manifest's hash, and that hash is
/// written to the audit log, all in the case's transaction.
/// </summary>
public sealed class EvidenceSealing(AuditChain chain, Data.Db db)
{
    /// <summary>
    /// Chains the case's entries written so far. The sealer chains in commit order and stops at a transaction still
    /// open anywhere in the cluster, so an entry just written may wait a moment for its link: wait for it (up to 10 s),
    /// so a bundle never leaves out the entries that led to it.
    /// </summary>
    public async Task SealChainAsync(long caseId, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await chain.SealAsync(ct);
            var waiting = await db.ReadAsync(async c =>
            {
                var itemIds = (await c.QueryAsync<long>("select item_id from case_items where case_id = @caseId", new { caseId })).ToArray();
                return await c.ExecuteScalarAsync<bool>(
                    $"""
                    select exists (select 1 from audit_log a
                                   where ({EvidenceBundle.AboutCaseSql}) and not exists (select 1 from audit_chain c where c.entry_id = a.id))
                    """, new { caseId, itemIds });
            }, ct);
            if (!waiting) return;
            if (attempt == 100)
                throw new InvalidOperationException("Audit entries written before sealing are still not chained after 10 s: a long transaction holds the chain back. Try again.");
            await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
        }
    }

    public async Task SealAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Actor actor, long caseId)
    {
        var sealedAt = await connection.ExecuteScalarAsync<DateTimeOffset>("select date_trunc('milliseconds', now())", transaction: transaction);
        var built = await EvidenceBundle.BuildAsync(connection, transaction, caseId, $"{actor.KindText} {actor.Id}", sealedAt);
        await connection.ExecuteAsync(
            "update cases set sealed_at = @sealedAt, bundle = @zip, manifest_sha256 = @manifest where id = @caseId",
            new { sealedAt, zip = built.Zip, manifest = built.ManifestSha256, caseId }, transaction);
        await AuditLog.AppendAsync(connection, transaction, actor, CaseAuditActions.Sealed, null, new
        {
            caseId,
            manifestSha256 = Convert.ToHexStringLower(built.ManifestSha256),
            bundleSha256 = Convert.ToHexStringLower(SHA256.HashData(built.Zip)),
            files = built.Manifest.Files.Count,
            auditEntries = built.Manifest.Audit.Count,
        });
    }
}
