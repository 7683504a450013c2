namespace ModerationConsole.Jobs;

/// <summary>
/// Hands to Hangfire the job rows that a crash left between "recorded" and "enqueued". Runs at start and every minute;
/// a row younger than a minute is left alone, since its request may still be enqueueing it.
/// </summary>
public sealed class JobRecovery(JobStore store, ILogger<JobRecovery> logger) : BackgroundService
{
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Grace);
        do
        {
            try
            {
                foreach (var (id, kind) in await store.OrphansAsync(Grace, stoppingToken))
                {
                    logger.LogWarning("Job {JobId} ({Kind}) was recorded but never enqueued; enqueueing it now", id, kind);
                    await store.EnqueueAsync(id, store.Handler(kind).Queue, stoppingToken);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Could not look for jobs to recover; trying again in a minute");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
