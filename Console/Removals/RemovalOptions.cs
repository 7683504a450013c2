namespace ModerationConsole.Removals;

/// <summary>How long each ground gives the platform to act (section "Removals:Deadlines", e.g. Removals:Deadlines:ncii=2.00:00:00).</summary>
public sealed class RemovalOptions
{
    public const string Section = "Removals";

    /// <summary>The TAKE IT DOWN Act's 48 hours for NCII; the others are the platform's own service levels.</summary>
    public Dictionary<string, TimeSpan> Deadlines { get; set; } = new()
    {
        [RemovalGrounds.Ncii] = TimeSpan.FromHours(48),
        [RemovalGrounds.Likeness] = TimeSpan.FromDays(3),
        [RemovalGrounds.Copyright] = TimeSpan.FromDays(7),
        [RemovalGrounds.Other] = TimeSpan.FromDays(7),
    };

    /// <summary>How often reminders (at half and at nine tenths of the time) are looked for.</summary>
    public TimeSpan ReminderInterval { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan DeadlineFor(string ground) =>
        Deadlines.TryGetValue(ground, out var deadline) && deadline > TimeSpan.Zero ? deadline : TimeSpan.FromDays(7);
}
