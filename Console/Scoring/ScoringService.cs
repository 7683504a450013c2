using Dapper;
using Microsoft.Extensions.Options;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Scoring.Runtime;

namespace ModerationConsole.Scoring;

/// <summary>What one batch did: items newly scored, items that already had this version's scores or were no longer pending, and images that did not decode.</summary>
public sealed record ScoredBatch(string Source, int Scored, int Skipped, IReadOnlyList<long> Undecodable);

/// <summary>
/// Scores a batch of items with one classifier version: the unit of work of a re-scoring job. It reads the items'
/// images or prompts from PostgreSQL, runs the model, and writes <c>item_scores</c> (source = "name@version") with one
/// audit entry, in one transaction. Idempotent: items that already have this version's scores are not read or run
/// again, and a concurrent duplicate write does nothing (on conflict), so a job that resumes after a crash never scores
/// an item twice into different results and skips none.
/// </summary>
public sealed class ScoringService(Db db, ClassifierHost host, IOptions<ScoringOptions> options)
{
    public async Task<ScoredBatch> ScoreBatchAsync(string name, string version, IReadOnlyList<long> itemIds, Actor actor, CancellationToken ct = default)
    {
        var classifier = await host.GetAsync(name, version, ct);
        var manifest = classifier.Manifest;
        if (manifest.Modality == "head") return await ScoreWithHeadAsync(classifier, itemIds, actor, ct);
        var image = manifest.Modality == "image";
        var rows = await db.ReadAsync(async c => (await c.QueryAsync<(long Id, string Prompt, byte[]? Bytes, byte[] Sha)>(
            $"""
            select r.id, r.prompt, {(image ? "i.bytes" : "null::bytea")}, r.image_sha256
            from review_items r join images i on i.sha256 = r.image_sha256
            where r.id = any(@ids) and r.status = 'pending' and {NotDoneSql(manifest.Labels.Count == 0)}
            order by r.id
            """, new { ids = itemIds.ToArray(), source = manifest.Source })).AsList(), ct);
        if (rows.Count == 0) return new ScoredBatch(manifest.Source, 0, itemIds.Count, []);

        var batchSize = Math.Max(1, options.Value.BatchSize);
        var outputs = image
            ? await ImageBatchRunner.RunAsync(classifier, rows.Select(r => r.Bytes!).ToList(), batchSize, options.Value.DecodeThreads,
                withEmbeddings: manifest.Embedding is not null, ct)
            : TextBatchRunner.Run(classifier, rows.Select(r => r.Prompt).ToList(), batchSize)
                .Select(s => s is null ? null : new ImageBatchRunner.ImageOutput(s, null)).ToArray();

        var written = new ScoreRows();
        var undecodable = new List<long>();
        var embedded = new List<(long Id, byte[] Sha, float[] Vector)>();
        for (var i = 0; i < rows.Count; i++)
        {
            if (outputs[i] is not { } output) { undecodable.Add(rows[i].Id); continue; }
            written.Add(rows[i].Id, manifest, output.Scores);
            if (output.Embedding is { } vector) embedded.Add((rows[i].Id, rows[i].Sha, vector));
        }
        // The heads trained on this backbone's embeddings (active or in shadow) score the same items in the same step.
        var heads = embedded.Count == 0 ? [] : await HeadsOnAsync(manifest.Source, ct);
        foreach (var head in heads)
        {
            var headScores = Heads.HeadRunner.Run(head, embedded.Select(e => e.Vector).ToList());
            for (var i = 0; i < embedded.Count; i++) written.Add(embedded[i].Id, head.Manifest, headScores[i]);
        }
        var scored = rows.Count - undecodable.Count;

        await db.InTransactionAsync(async (c, tx) =>
        {
            await written.InsertAsync(c, tx);
            await Embeddings.EmbeddingStore.WriteAsync(c, tx, manifest.Source, embedded.Select(e => (e.Sha, e.Vector)).ToList());
            await AuditLog.AppendAsync(c, tx, actor, ScoringAuditActions.BatchScored, null, new
            {
                classifier = manifest.Source,
                provider = classifier.Provider,
                scored,
                firstItem = rows[0].Id,
                lastItem = rows[^1].Id,
                undecodable,
                embeddings = embedded.Count,
                heads = heads.Select(h => h.Manifest.Source).ToArray(),
            });
            return true;
        }, ct);
        return new ScoredBatch(manifest.Source, scored, itemIds.Count - rows.Count, undecodable);
    }

    /// <summary>
    /// SQL true for an item <c>r</c> that version <c>@source</c> has still to do: scores to write, or for a backbone only
    /// (no labels, so no scores) its image's embedding.
    /// </summary>
    public static string NotDoneSql(bool backboneOnly) => backboneOnly
        ? "not exists (select 1 from image_embeddings e where e.backbone = @source and e.image_sha256 = r.image_sha256)"
        : "not exists (select 1 from item_scores s where s.source = @source and s.item_id = r.id)";

    /// <summary>A head scores pending items from their stored embeddings (items its backbone has not embedded yet are skipped).</summary>
    private async Task<ScoredBatch> ScoreWithHeadAsync(LoadedClassifier head, IReadOnlyList<long> itemIds, Actor actor, CancellationToken ct)
    {
        var manifest = head.Manifest;
        var rows = await db.ReadAsync(async c => (await c.QueryAsync<(long Id, byte[] Embedding)>(
            $"""
            select r.id, e.embedding from review_items r
            join image_embeddings e on e.backbone = @backbone and e.image_sha256 = r.image_sha256
            where r.id = any(@ids) and r.status = 'pending' and {NotDoneSql(backboneOnly: false)}
            order by r.id
            """, new { ids = itemIds.ToArray(), source = manifest.Source, backbone = manifest.Head!.Backbone })).AsList(), ct);
        if (rows.Count == 0) return new ScoredBatch(manifest.Source, 0, itemIds.Count, []);
        var scores = Heads.HeadRunner.Run(head, rows.Select(r => Embeddings.EmbeddingVector.FromHalfBytes(r.Embedding)).ToList());
        var written = new ScoreRows();
        for (var i = 0; i < rows.Count; i++) written.Add(rows[i].Id, manifest, scores[i]);
        await db.InTransactionAsync(async (c, tx) =>
        {
            await written.InsertAsync(c, tx);
            await AuditLog.AppendAsync(c, tx, actor, ScoringAuditActions.BatchScored, null, new
            {
                classifier = manifest.Source, provider = head.Provider, scored = rows.Count, firstItem = rows[0].Id, lastItem = rows[^1].Id,
                undecodable = Array.Empty<long>(),
            });
            return true;
        }, ct);
        return new ScoredBatch(manifest.Source, rows.Count, itemIds.Count - rows.Count, []);
    }

    /// <summary>The heads that read <paramref name="backbone"/>'s embeddings and score new items: active ones and those in shadow.</summary>
    private async Task<IReadOnlyList<LoadedClassifier>> HeadsOnAsync(string backbone, CancellationToken ct)
    {
        var versions = await db.ReadAsync(c => c.QueryAsync<(string Name, string Version)>(
            """
            select name, version from classifier_versions
            where modality = 'head' and (active or shadow_since is not null) and manifest -> 'head' ->> 'backbone' = @backbone
            order by name, version
            """, new { backbone }), ct);
        var heads = new List<LoadedClassifier>();
        foreach (var (name, version) in versions) heads.Add(await host.GetAsync(name, version, ct));
        return heads;
    }

    /// <summary>item_scores rows gathered in memory, written in one statement.</summary>
    private sealed class ScoreRows
    {
        private readonly List<long> ids = [];
        private readonly List<string> sources = [];
        private readonly List<string> categories = [];
        private readonly List<double> values = [];

        public void Add(long itemId, Manifest.ClassifierManifest manifest, ReadOnlySpan<float> labelScores)
        {
            foreach (var (category, score) in CategoryScores(manifest, labelScores))
            {
                ids.Add(itemId);
                sources.Add(manifest.Source);
                categories.Add(category);
                values.Add(score);
            }
        }

        public Task InsertAsync(Npgsql.NpgsqlConnection connection, Npgsql.NpgsqlTransaction transaction) => connection.ExecuteAsync(
            """
            insert into item_scores (item_id, source, category, score)
            select item_id, source, category, score from unnest(@ids, @sources, @categories, @values) as s (item_id, source, category, score)
            on conflict (item_id, source, category) do nothing
            """, new { ids = ids.ToArray(), sources = sources.ToArray(), categories = categories.ToArray(), values = values.ToArray() }, transaction);
    }

    /// <summary>Each category's score from the labels that feed it, combined as the manifest says (max, or sum capped at 1).</summary>
    public static IEnumerable<(string Category, double Score)> CategoryScores(Manifest.ClassifierManifest manifest, ReadOnlySpan<float> labelScores)
    {
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var label = 0; label < manifest.Labels.Count; label++)
        {
            if (manifest.Labels[label].Category is not { } category) continue;
            var value = (double)labelScores[label];
            scores[category] = scores.TryGetValue(category, out var sofar)
                ? manifest.Combine == "sum" ? Math.Min(1, sofar + value) : Math.Max(sofar, value)
                : value;
        }
        return scores.Select(pair => (pair.Key, pair.Value));
    }
}
