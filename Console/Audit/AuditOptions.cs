using System.ComponentModel.DataAnnotations;

namespace ModerationConsole.Audit;

/// <summary>Section "Audit".</summary>
public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>How often new entries are chained: the window in which an entry is stored but not yet tamper-evident.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan SealInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Rows per page of the audit search.</summary>
    [Range(10, 500)]
    public int PageSize { get; set; } = 50;
}
