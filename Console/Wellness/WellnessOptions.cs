using System.ComponentModel.DataAnnotations;

namespace ModerationConsole.Wellness;

/// <summary>How the console limits what moderators see of harmful imagery.</summary>
public sealed class WellnessOptions
{
    public const string Section = "Wellness";

    /// <summary>Items whose worst category has at least this policy severity count as severe exposure.</summary>
    [Range(0, 1000)]
    public int SevereFromSeverity { get; set; } = 60;

    /// <summary>Every this many severe items within <see cref="Window"/>, the review screen suggests a break (0: never).</summary>
    [Range(0, 10_000)]
    public int BreakAfterSevere { get; set; } = 20;

    /// <summary>The rolling window the break prompt counts over.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The break the prompt suggests.</summary>
    [Range(1, 120)]
    public int BreakMinutes { get; set; } = 10;

    /// <summary>Images are shown in greyscale unless a moderator turns it off for themselves.</summary>
    public bool GreyscaleByDefault { get; set; } = true;
}
