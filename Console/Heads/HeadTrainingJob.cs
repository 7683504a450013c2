using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Jobs;

namespace ModerationConsole.Heads;

/// <summary>
/// Trains a new version of the image heads: started by an admin on the Classifiers page (audited as job.requested) or by
/// <see cref="HeadTrainingSchedule"/>. Runs on the "gpu" queue, where the backbone embeds labelled images it has not
/// seen. Safe to run again after a crash: embeddings already stored are kept, and a run registers a new version only
/// at its end.
/// </summary>
public sealed class HeadTrainingJob(HeadTraining training) : IJobHandler
{
    public const string JobKind = "train-heads";

    public string Kind => JobKind;
    public string Queue => JobQueues.Gpu;

    public async Task<object?> RunAsync(JobContext context)
    {
        var requestedBy = context.Parameters.TryGetProperty("userId", out var user) && user.TryGetInt64(out var id) ? id : (long?)null;
        var actor = requestedBy is { } userId ? Actor.User(userId) : Actor.Console;
        var trained = await training.TrainAsync(actor, requestedBy, done => context.ReportAsync(done), context.CancellationToken);
        return new
        {
            version = trained.Source,
            labelled = trained.Labelled,
            trained = trained.Categories.Where(c => c.Skipped is null).Select(c => new { c.Category, rocAuc = Math.Round(c.RocAuc, 3), c.HeldOutPositives }),
            notTrained = trained.Categories.Where(c => c.Skipped is not null).Select(c => new { c.Category, why = c.Skipped }),
            seconds = Math.Round(trained.Took.TotalSeconds, 1),
        };
    }

    public static object Parameters(long? userId) => new { userId };
}

/// <summary>Trains new heads every <see cref="HeadsOptions.Every"/> when <see cref="HeadsOptions.Scheduled"/>; none is activated by itself.</summary>
public sealed class HeadTrainingSchedule(Db db, JobStore jobs, Microsoft.Extensions.Options.IOptions<HeadsOptions> options,
    ILogger<HeadTrainingSchedule> logger) : PeriodicJobSchedule(db, jobs, logger)
{
    protected override string Kind => HeadTrainingJob.JobKind;
    protected override bool Enabled => options.Value.Scheduled;
    protected override TimeSpan Every => options.Value.Every;
    protected override long ScheduleLock => 0x6865_6164_5F73_63; // "head_sc"
}
