namespace ModerationConsole.Jobs;

public static class JobStates
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
}

/// <summary>A job as the UI shows it. <see cref="Result"/> and <see cref="Parameters"/> are JSON text.</summary>
public sealed class JobView
{
    public long Id { get; init; }
    public string Kind { get; init; } = "";
    public string Parameters { get; init; } = "{}";
    public string State { get; init; } = JobStates.Queued;
    public long? RequestedBy { get; init; }
    public string? RequestedByEmail { get; init; }
    public DateTime RequestedAt { get; init; }
    public long? Total { get; init; }
    public long Done { get; init; }
    public DateTime? StartedAt { get; init; }
    public DateTime? ProgressAt { get; init; }
    public DateTime? FinishedAt { get; init; }
    public bool CancelRequested { get; init; }
    public string? Error { get; init; }
    public string? Result { get; init; }

    public bool Finished => State is JobStates.Succeeded or JobStates.Failed or JobStates.Cancelled;

    /// <summary>0–100, or null while the amount of work is not known yet.</summary>
    public double? Percent => Total is > 0 ? Math.Min(100, 100.0 * Done / Total.Value) : Total == 0 && Finished ? 100 : null;

    /// <summary>Items per second since the job started, from the last progress report.</summary>
    public double? Rate => StartedAt is { } start && ProgressAt is { } at && at > start && Done > 0
        ? Done / (at - start).TotalSeconds
        : null;

    public TimeSpan? Eta => Rate is > 0 && Total is { } total && !Finished
        ? TimeSpan.FromSeconds(Math.Max(0, total - Done) / Rate.Value)
        : null;
}
