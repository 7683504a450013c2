using System.ComponentModel.DataAnnotations;

namespace ModerationConsole.Jobs;

/// <summary>Section "Jobs": the background job server of this console instance.</summary>
public sealed class JobsOptions
{
    public const string Section = "Jobs";

    /// <summary>
    /// The Hangfire queues this instance works. Every instance can enqueue to any queue; an instance on a GPU machine
    /// can be the only one that works "gpu" (Jobs:Queues:0=gpu), while web instances work "default" and "exports".
    /// </summary>
    // No initializer: the configuration binder appends to an array it finds, so defaults would double up.
    public string[]? Queues { get; set; }

    public string[] EffectiveQueues => Queues is { Length: > 0 } ? Queues : [JobQueues.Default, JobQueues.Exports, JobQueues.Gpu];

    /// <summary>Jobs run at once on this instance. 0 runs no job server here (enqueue only).</summary>
    [Range(0, 64)]
    public int WorkerCount { get; set; } = 4;

    /// <summary>
    /// How long a job whose worker vanished (killed process, lost machine) stays invisible before another worker takes it
    /// up again. A live worker keeps extending it, so this is the delay after a crash, not a limit on a job's length.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:10", "01:00:00")]
    public TimeSpan AbandonedAfter { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>Hangfire queue names (lower case letters, digits and underscores only: Hangfire's rule).</summary>
public static class JobQueues
{
    public const string Default = "default";
    public const string Exports = "exports";
    public const string Gpu = "gpu";
}
