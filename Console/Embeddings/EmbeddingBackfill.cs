using Dapper;
using Microsoft.Extensions.Options;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Scoring;
using ModerationConsole.Scoring.Runtime;

namespace ModerationConsole.Embeddings;

/// <summary>What one step of embedding did.</summary>
public sealed record EmbeddedStep(int Embedded, IReadOnlyList<string> Undecodable);

/// <summary>
/// Stores embeddings for images the scoring of new items never saw: items decided before the backbone was installed,
/// or before its first pass reached them. Used by the backfill job (every image) and by head training (the labelled ones).
/// </summary>
public sealed class EmbeddingBackfill(Db db, ClassifierHost host, IOptions<ScoringOptions> options)
{
    public const string AuditAction = "embeddings.stored";

    /// <summary>The image model whose embeddings are learnt from and searched: the active version of <c>Scoring:Backbone</c>.</summary>
    public async Task<LoadedClassifier?> BackboneAsync(CancellationToken ct)
    {
        var source = await db.ReadAsync(c => c.ExecuteScalarAsync<string?>(BackboneSql, new { backbone = options.Value.Backbone }), ct);
        if (source is null) return null;
        var at = source.LastIndexOf('@');
        return await host.GetAsync(source[..at], source[(at + 1)..], ct);
    }

    /// <summary>The <c>name@version</c> of the active version of the backbone named <c>@backbone</c> (null: none is active).</summary>
    public const string BackboneSql =
        """
        select name || '@' || version from classifier_versions
        where modality = 'image' and manifest -> 'embedding' is not null and active and name = @backbone
        """;

    /// <summary>Embeds the images (by SHA-256) that have bytes and no embedding under this backbone yet; one transaction, audited.</summary>
    public async Task<EmbeddedStep> EmbedAsync(LoadedClassifier backbone, IReadOnlyList<byte[]> images, Actor actor, CancellationToken ct)
    {
        var source = backbone.Manifest.Source;
        var rows = await db.ReadAsync(async c => (await c.QueryAsync<(byte[] Sha, byte[] Bytes)>(
            """
            select i.sha256, i.bytes from images i
            where i.sha256 = any(@images) and i.bytes is not null
              and not exists (select 1 from image_embeddings e where e.backbone = @source and e.image_sha256 = i.sha256)
            """, new { images = images.ToArray(), source })).AsList(), ct);
        if (rows.Count == 0) return new EmbeddedStep(0, []);
        var outputs = await ImageBatchRunner.RunAsync(backbone, rows.Select(r => r.Bytes).ToList(), Math.Max(1, options.Value.BatchSize),
            options.Value.DecodeThreads, withEmbeddings: true, ct);
        var embedded = new List<(byte[], float[])>();
        var undecodable = new List<string>();
        for (var i = 0; i < rows.Count; i++)
        {
            if (outputs[i]?.Embedding is { } vector) embedded.Add((rows[i].Sha, vector));
            else undecodable.Add(Convert.ToHexStringLower(rows[i].Sha));
        }
        await db.InTransactionAsync(async (c, tx) =>
        {
            await EmbeddingStore.WriteAsync(c, tx, source, embedded);
            await AuditLog.AppendAsync(c, tx, actor, AuditAction, null, new { backbone = source, embedded = embedded.Count, undecodable });
            return true;
        }, ct);
        return new EmbeddedStep(embedded.Count, undecodable);
    }

    /// <summary>
    /// Walks the images <paramref name="missingSql"/> selects (a query of <c>i.sha256</c> from <c>images i</c>, given
    /// <c>@source</c> and <c>@after</c>, in sha256 order) in chunks, embedding each; reports images done.
    /// </summary>
    public async Task<(long Embedded, long Undecodable)> WalkAsync(LoadedClassifier backbone, string missingSql, Actor actor,
        Func<long, Task> progress, CancellationToken ct)
    {
        var source = backbone.Manifest.Source;
        var after = Array.Empty<byte>();
        long done = 0, embedded = 0, undecodable = 0;
        while (true)
        {
            var chunk = (await db.ReadAsync(c => c.QueryAsync<byte[]>(missingSql + " limit @limit",
                new { source, after, limit = options.Value.RescoreChunkSize }), ct)).AsList();
            if (chunk.Count == 0) break;
            var step = await EmbedAsync(backbone, chunk, actor, ct);
            embedded += step.Embedded;
            undecodable += step.Undecodable.Count;
            done += chunk.Count;
            after = chunk[^1]; // images that do not decode stay behind the cursor: each is tried once per walk
            await progress(done);
        }
        return (embedded, undecodable);
    }

    /// <summary>Every image with bytes and no embedding yet.</summary>
    public const string AllMissing =
        """
        select i.sha256 from images i
        where i.bytes is not null and i.sha256 > @after
          and not exists (select 1 from image_embeddings e where e.backbone = @source and e.image_sha256 = i.sha256)
        order by i.sha256
        """;

    /// <summary>The images of items a person decided that have no embedding yet: what head training needs first.</summary>
    public const string LabelledMissing =
        """
        select i.sha256 from images i
        where i.bytes is not null and i.sha256 > @after
          and exists (select 1 from review_items r join decisions d on d.item_id = r.id where r.image_sha256 = i.sha256 and not d.automated)
          and not exists (select 1 from image_embeddings e where e.backbone = @source and e.image_sha256 = i.sha256)
        order by i.sha256
        """;
}
