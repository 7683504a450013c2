using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.Options;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Embeddings;
using ModerationConsole.Policy;
using ModerationConsole.Scoring;

namespace ModerationConsole.Heads;

/// <summary>What one training run produced: the new version (null when no category had enough labels) and each category's figures.</summary>
public sealed record TrainedHeads(string? Source, int Labelled, IReadOnlyList<HeadCategoryMetrics> Categories, TimeSpan Took);

/// <summary>
/// Learns a head per policy category from moderators' final human decisions on the backbone's stored embeddings, and
/// registers the heads as a new, inactive version of <see cref="ModelName"/> with their held-out figures. It never
/// activates one: an admin reviews the figures, shadows it, and activates it (<see cref="ClassifierStore"/>).
/// Guard rails: automated decisions are never labels (no loop on the console's own output); an overturned item counts
/// as its final decision; each category reports how many moderators its labels came from; an always-human category
/// (sexual_minors) may get a head that sends items to a person, but routing never blocks on it.
/// </summary>
public sealed class HeadTraining(Db db, ClassifierStore store, PolicyStore policies, EmbeddingBackfill backfill, IOptions<HeadsOptions> options,
    ILogger<HeadTraining> logger)
{
    public const string ModelName = "image-heads";

    public async Task<TrainedHeads> TrainAsync(Actor actor, long? userId, Func<long, Task> progress, CancellationToken ct = default)
    {
        var watch = Stopwatch.StartNew();
        var backbone = await backfill.BackboneAsync(ct)
            ?? throw new InvalidOperationException("No active image model has an embedding output: install the default model (model install-default).");
        var source = backbone.Manifest.Source;
        var dimensions = backbone.Manifest.Embedding!.Dimensions;
        // Labelled items the scoring of new items never embedded (decided before it reached them) are embedded first.
        await backfill.WalkAsync(backbone, EmbeddingBackfill.LabelledMissing, actor, progress, ct);

        var labelled = await LabelsAsync(source, ct);
        var policy = (await policies.LoadActiveAsync(ct)).Document;
        var settings = options.Value;
        var heads = new List<LinearHead>();
        var metrics = new List<HeadCategoryMetrics>();
        foreach (var rule in policy.Categories)
        {
            var split = StratifiedSplit.For(rule.Name, labelled);
            var positives = split.Training.Count(e => e.Label) + split.HeldOut.Count(e => e.Label);
            var negatives = split.Training.Count(e => !e.Label) + split.HeldOut.Count(e => !e.Label);
            var missing = positives < settings.MinimumPositives ? $"{positives} blocks for it; {settings.MinimumPositives} needed"
                : negatives < settings.MinimumNegatives ? $"{negatives} approvals; {settings.MinimumNegatives} needed"
                : !split.Training.Any(e => e.Label) || !split.Training.Any(e => !e.Label) ? "no blocks or no approvals left to train on after the held-out users"
                : null;
            if (missing is not null)
            {
                metrics.Add(HeadCategoryMetrics.NotTrained(rule.Name, positives, negatives, split.Moderators, missing));
                continue;
            }
            var (threshold, meaning) = rule.AutoBlockAt is { } block ? (block, "auto-block") : (rule.ReviewAt, "review");
            // CPU-bound for seconds: off the caller's thread.
            var trained = await Task.Run(() => HeadTrainer.Train(split, dimensions, threshold, meaning, rule.AlwaysHuman), ct);
            heads.Add(trained.Head);
            metrics.Add(trained.Metrics);
        }
        if (heads.Count == 0)
        {
            logger.LogInformation("Image heads: no category has enough labels ({Labelled} labelled items)", labelled.Count);
            return new TrainedHeads(null, labelled.Count, metrics, watch.Elapsed);
        }

        var version = (await db.ReadAsync(c => ClassifierStore.NextVersionAsync(c, ModelName), ct)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var manifest = HeadExport.Manifest(ModelName, version, source, dimensions, heads,
            $"Heads for {string.Join(", ", heads.Select(h => h.Category))}, learnt from {labelled.Count} moderators' decisions on {source} embeddings");
        await store.RegisterAsync(manifest, HeadExport.ToOnnx(heads, dimensions), storeBytes: true, metrics, actor, userId, ct, training: new
        {
            backbone = source,
            labelledItems = labelled.Count,
            from = labelled.Count == 0 ? (DateTimeOffset?)null : labelled.Min(l => l.DecidedAt),
            to = labelled.Count == 0 ? (DateTimeOffset?)null : labelled.Max(l => l.DecidedAt),
            categories = metrics.Select(m => new { m.Category, trained = m.Skipped is null, m.RocAuc, m.HeldOutPositives, m.Moderators, m.Skipped }),
        });
        logger.LogInformation("Trained {Source} on {Count} labelled items in {Elapsed}", manifest.Source, labelled.Count, watch.Elapsed);
        return new TrainedHeads(manifest.Source, labelled.Count, metrics, watch.Elapsed);
    }

    /// <summary>
    /// Each item's final decision (the latest, so an overturn replaces what it overturned), kept only when a person made it,
    /// with the embedding of its image. Restricted approvals (age-restricted, labelled…) are neither blocks nor plain
    /// approvals and teach a block head nothing either way.
    /// </summary>
    public Task<IReadOnlyList<LabelledEmbedding>> LabelsAsync(string backbone, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<LabelledEmbedding>>(async c =>
            (await c.QueryAsync<(long ItemId, string Decision, string[] Categories, string? Outcome, long DecidedBy, DateTimeOffset DecidedAt, long ProducerId, string UserId, byte[] Embedding)>(
                $"""
                select l.item_id, l.decision, l.categories, l.outcome, l.decided_by, l.decided_at, l.producer_id, l.user_id, e.embedding
                from (select distinct on (d.item_id) d.item_id, d.decision, d.categories, d.outcome, d.automated, d.decided_by, d.decided_at,
                             r.producer_id, r.user_id, r.image_sha256
                      from decisions d join review_items r on r.id = d.item_id
                      order by d.item_id, d.id desc) l
                join image_embeddings e on e.backbone = @backbone and e.image_sha256 = l.image_sha256
                where not l.automated
                  and (l.decision = 'blocked' or l.outcome is null or l.outcome = '{Outcomes.Approve}')
                order by l.decided_at, l.item_id
                """, new { backbone }))
            .Select(r => new LabelledEmbedding(r.ItemId, Embeddings.EmbeddingVector.FromHalfBytes(r.Embedding),
                r.Decision == "blocked" ? r.Categories.ToHashSet(StringComparer.Ordinal) : new HashSet<string>(),
                r.Decision == "approved", r.DecidedBy, $"{r.ProducerId}/{r.UserId}", r.DecidedAt))
            .ToList(), ct);
}
