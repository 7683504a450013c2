namespace ModerationConsole.Audit.Reports;

/// <summary>The period a report covers: decisions taken at or after <see cref="From"/> and before <see cref="To"/>, UTC.</summary>
public sealed record ReportPeriod(DateTimeOffset From, DateTimeOffset To)
{
    /// <summary>The last 30 whole days up to the end of today (UTC).</summary>
    public static ReportPeriod LastDays(int days, DateTimeOffset now)
    {
        var end = new DateTimeOffset(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);
        return new(end.AddDays(-days), end);
    }
}
