using System.Text.Json;
using Hangfire;

namespace ModerationConsole.Jobs;

/// <summary>
/// The one method Hangfire invokes for every console job. It moves the job row through its states and leaves retrying
/// to people: a failed job shows its error, and running it again is a new, audited request.
/// </summary>
public sealed class JobDispatcher(JobStore store, ILogger<JobDispatcher> logger)
{
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(long jobId, CancellationToken shutdown)
    {
        var job = await store.BeginAsync(jobId, shutdown);
        if (job is null)
        {
            // Cancelled before it started, finished already (a duplicate delivery), or cancelled while a crashed worker held it.
            var current = await store.FindAsync(jobId, shutdown);
            if (current is { State: JobStates.Running, CancelRequested: true })
                await store.FinishAsync(jobId, JobStates.Cancelled, null, null, shutdown);
            return;
        }

        var handler = store.Handler(job.Kind);
        using var parameters = JsonDocument.Parse(job.Parameters);
        var context = new JobContext(jobId, parameters.RootElement.Clone(),
            (done, total) => store.ReportAsync(jobId, done, total, CancellationToken.None), shutdown);
        try
        {
            var result = await handler.RunAsync(context);
            await store.FinishAsync(jobId, JobStates.Succeeded, result, null, CancellationToken.None);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            // The server is stopping: leave the row running; Hangfire hands the job to a worker again after the restart.
            throw;
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            await store.FinishAsync(jobId, JobStates.Cancelled, null, null, CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Job {JobId} ({Kind}) failed", jobId, job.Kind);
            await store.FinishAsync(jobId, JobStates.Failed, null, ex.Message, CancellationToken.None);
        }
    }
}
