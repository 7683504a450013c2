using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Jobs;

namespace ModerationConsole.Embeddings;

/// <summary>
/// Stores the active backbone's embedding for every image that lacks one (history from before the model was installed,
/// items decided before scoring reached them), in chunks with progress, on the "gpu" queue. Resumable by construction:
/// a run after a crash or a cancel walks only the images still missing.
/// </summary>
public sealed class EmbeddingBackfillJob(Db db, EmbeddingBackfill backfill) : IJobHandler
{
    public const string JobKind = "embed-backfill";

    public string Kind => JobKind;
    public string Queue => JobQueues.Gpu;

    public async Task<object?> RunAsync(JobContext context)
    {
        var ct = context.CancellationToken;
        var backbone = await backfill.BackboneAsync(ct)
            ?? throw new InvalidOperationException("No active image model has an embedding output: install the default model (model install-default).");
        var total = await db.ReadAsync(c => c.ExecuteScalarAsync<long>(
            $"select count(*) from ({EmbeddingBackfill.AllMissing}) missing", new { source = backbone.Manifest.Source, after = Array.Empty<byte>() }), ct);
        await context.ReportAsync(0, total);
        var (embedded, undecodable) = await backfill.WalkAsync(backbone, EmbeddingBackfill.AllMissing, Actor.Console,
            done => context.ReportAsync(done, Math.Max(total, done)), ct);
        return new { backbone = backbone.Manifest.Source, embedded, undecodable };
    }
}
