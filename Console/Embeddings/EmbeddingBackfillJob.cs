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
        // No backbone (no image model installed): nothing to embed, said in the job's result.
        if (await backfill.BackboneAsync(ct) is not { } backbone) return new { backbone = (string?)null, embedded = 0, undecodable = 0 };
        var total = await db.ReadAsync(c => c.ExecuteScalarAsync<long>(
            $"select count(*) from ({EmbeddingBackfill.AllMissing}) missing", new { source = backbone.Manifest.Source, after = Array.Empty<byte>() }), ct);
        await context.ReportAsync(0, total);
        var (embedded, undecodable) = await backfill.WalkAsync(backbone, EmbeddingBackfill.AllMissing, Actor.Console,
            done => context.ReportAsync(done, Math.Max(total, done)), ct);
        return new { backbone = backbone.Manifest.Source, embedded, undecodable };
    }
}

/// <summary>Embeds past images every <see cref="Heads.HeadsOptions.EmbedPastImagesEvery"/> when <see cref="Heads.HeadsOptions.EmbedPastImages"/>.</summary>
public sealed class EmbeddingBackfillSchedule(Db db, JobStore jobs, Microsoft.Extensions.Options.IOptions<Heads.HeadsOptions> options,
    ILogger<EmbeddingBackfillSchedule> logger) : PeriodicJobSchedule(db, jobs, logger)
{
    protected override string Kind => EmbeddingBackfillJob.JobKind;
    protected override bool Enabled => options.Value.EmbedPastImages;
    protected override TimeSpan Every => options.Value.EmbedPastImagesEvery;
    protected override long ScheduleLock => 0x656D_625F_7363_68; // "emb_sch"
}
