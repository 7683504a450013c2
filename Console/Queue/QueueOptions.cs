using System.ComponentModel.DataAnnotations;

namespace ModerationConsole.Queue;

/// <summary>Section "Queue" of appsettings.json.</summary>
public sealed class QueueOptions
{
    public const string Section = "Queue";

    /// <summary>How long a claim lasts without renewal. The review screen renews it while open; a closed tab lets it lapse.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "02:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Age after which the oldest item of a queue is shown as late.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan Sla { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long an item a moderator skipped is not offered to them again (others get it at once).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan SkipHidesFor { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// How long a moderator's approve or block can be undone (U): it is audited at once, but sent to the producer and
    /// counted against the user only when this ends. Zero sends decisions at once. Automated decisions never wait.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan UndoWindow { get; set; } = TimeSpan.FromSeconds(10);
}
