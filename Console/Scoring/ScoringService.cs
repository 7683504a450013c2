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
        var image = manifest.Modality == "image";
        var rows = await db.ReadAsync(async c => (await c.QueryAsync<(long Id, string Prompt, byte[]? Bytes)>(
            $"""
            select r.id, r.prompt, {(image ? "i.bytes" : "null::bytea")}
            from review_items r join images i on i.sha256 = r.image_sha256
            where r.id = any(@ids) and r.status = 'pending'
              and not exists (select 1 from item_scores s where s.source = @source and s.item_id = r.id)
            order by r.id
            """, new { ids = itemIds.ToArray(), source = manifest.Source })).AsList(), ct);
        if (rows.Count == 0) return new ScoredBatch(manifest.Source, 0, itemIds.Count, []);

        var batchSize = Math.Max(1, options.Value.BatchSize);
        var scores = image
            ? await ImageBatchRunner.RunAsync(classifier, rows.Select(r => r.Bytes!).ToList(), batchSize, options.Value.DecodeThreads, ct)
            : TextBatchRunner.Run(classifier, rows.Select(r => r.Prompt).ToList(), batchSize);

        var (ids, categories, values) = (new List<long>(), new List<string>(), new List<double>());
        var undecodable = new List<long>();
        for (var i = 0; i < rows.Count; i++)
        {
            if (scores[i] is not { } itemScores) { undecodable.Add(rows[i].Id); continue; }
            foreach (var (category, score) in CategoryScores(manifest, itemScores))
            {
                ids.Add(rows[i].Id);
                categories.Add(category);
                values.Add(score);
            }
        }
        var scored = rows.Count - undecodable.Count;

        await db.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecuteAsync(
                """
                insert into item_scores (item_id, source, category, score)
                select item_id, @source, category, score from unnest(@ids, @categories, @values) as s (item_id, category, score)
                on conflict (item_id, source, category) do nothing
                """, new { source = manifest.Source, ids = ids.ToArray(), categories = categories.ToArray(), values = values.ToArray() }, tx);
            await AuditLog.AppendAsync(c, tx, actor, ScoringAuditActions.BatchScored, null, new
            {
                classifier = manifest.Source,
                provider = classifier.Provider,
                scored,
                firstItem = rows[0].Id,
                lastItem = rows[^1].Id,
                undecodable,
            });
            return true;
        }, ct);
        return new ScoredBatch(manifest.Source, scored, itemIds.Count - rows.Count, undecodable);
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
