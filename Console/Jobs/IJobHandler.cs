using System.Text.Json;

namespace ModerationConsole.Jobs;

/// <summary>
/// One kind of background job. Handlers must be safe to run again from the start after a crash: Hangfire gives an
/// abandoned job to another worker, and <see cref="JobContext"/> resets its progress to what the handler reports.
/// </summary>
public interface IJobHandler
{
    /// <summary>Stored in <c>jobs.kind</c>, e.g. <c>export</c>.</summary>
    string Kind { get; }

    /// <summary>The Hangfire queue (see <see cref="JobQueues"/>).</summary>
    string Queue { get; }

    /// <summary>Does the work; returns what the UI shows when it succeeded (serialised to <c>jobs.result</c>).</summary>
    Task<object?> RunAsync(JobContext context);
}

/// <summary>What a running job sees: its parameters, a way to report progress, and a token that fires on cancel.</summary>
public sealed class JobContext(long jobId, JsonElement parameters, Func<long, long?, Task<bool>> report, CancellationToken ct)
{
    private readonly CancellationTokenSource cancelled = CancellationTokenSource.CreateLinkedTokenSource(ct);

    public long JobId => jobId;
    public JsonElement Parameters => parameters;

    /// <summary>Fires when someone cancels the job (seen at the next report) or the server shuts down.</summary>
    public CancellationToken CancellationToken => cancelled.Token;

    /// <summary>Stores progress (total may stay unknown: null) and throws when the job was cancelled.</summary>
    public async Task ReportAsync(long done, long? total = null)
    {
        if (await report(done, total)) await cancelled.CancelAsync();
        cancelled.Token.ThrowIfCancellationRequested();
    }

    public T Parameter<T>(string name) =>
        parameters.TryGetProperty(name, out var value) && value.Deserialize<T>(JsonOptions) is { } typed
            ? typed
            : throw new InvalidOperationException($"Job {jobId} has no parameter '{name}'.");

    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}
