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

    /// <summary>
    /// Exports with more rows than this are prepared as background jobs (with progress and a download link) instead of
    /// streamed to the browser while the auditor waits.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int DirectExportMaxRows { get; set; } = 100_000;

    /// <summary>Where export jobs write their files (relative to the repository root). Instances sharing a database must share it.</summary>
    [Required, MinLength(1)]
    public string ExportDirectory { get; set; } = ".data/exports";
}
