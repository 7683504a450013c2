namespace ModerationConsole.Cases;

public static class CaseKinds
{
    public const string ChildSafety = "child_safety";
    public const string Ncii = "ncii";
    public const string Likeness = "likeness";
    public const string Copyright = "copyright";
    public const string LawEnforcement = "law_enforcement";
    public const string Other = "other";

    public static readonly IReadOnlyList<string> All = [ChildSafety, Ncii, Likeness, Copyright, LawEnforcement, Other];

    public static string Label(string kind) => kind switch
    {
        ChildSafety => "Child safety",
        Ncii => "Non-consensual intimate imagery",
        Likeness => "Real person's likeness",
        Copyright => "Copyright",
        LawEnforcement => "Law enforcement request",
        _ => "Other",
    };
}

public static class CaseStatuses
{
    public const string Draft = "draft";
    /// <summary>A child-safety case whose report package was prepared; it waits for NCMEC's report id.</summary>
    public const string Ready = "ready";
    public const string Reported = "reported";
    public const string Closed = "closed";
}

public static class CaseAuditActions
{
    public const string Opened = "case.opened";
    public const string ItemAdded = "case.item_added";
    public const string NoteAdded = "case.note_added";
    public const string Ready = "case.ready";
    public const string ReportPackageDownloaded = "case.report_package_downloaded";
    public const string Reported = "case.reported";
    public const string Closed = "case.closed";
    public const string Sealed = "case.sealed";
    public const string BundleDownloaded = "case.bundle_downloaded";
}

/// <summary>A case in the list.</summary>
public sealed class CaseSummary
{
    public long Id { get; init; }
    public string Kind { get; init; } = "";
    public string Status { get; init; } = "";
    public long ProducerId { get; init; }
    public string UserId { get; init; } = "";
    public string Summary { get; init; } = "";
    public DateTime OpenedAt { get; init; }
    public int Items { get; init; }
    public DateTime? HeldUntil { get; init; }
}

/// <summary>Everything the case page shows.</summary>
public sealed class CaseDetail
{
    public long Id { get; init; }
    public string Kind { get; init; } = "";
    public string Status { get; init; } = "";
    public long ProducerId { get; init; }
    public string ProducerName { get; init; } = "";
    public string UserId { get; init; } = "";
    public string Summary { get; init; } = "";
    public DateTime OpenedAt { get; init; }
    public string? OpenedBy { get; init; }
    public string? ReportId { get; init; }
    public DateTime? ReportedAt { get; init; }
    public DateTime? ClosedAt { get; init; }
    public DateTime? SealedAt { get; init; }
    public byte[]? ManifestSha256 { get; init; }
    public IReadOnlyList<CaseItem> Items { get; set; } = [];
    public IReadOnlyList<CaseNote> Notes { get; set; } = [];
    public IReadOnlyList<CaseEvent> Timeline { get; set; } = [];
    public IReadOnlyList<Retention.HoldSummary> Holds { get; set; } = [];
    public bool IsChildSafety => Kind == CaseKinds.ChildSafety;
}

public sealed class CaseItem
{
    public long ItemId { get; init; }
    public string GenerationId { get; init; } = "";
    public string UserId { get; init; } = "";
    public string Prompt { get; init; } = "";
    public DateTime ReceivedAt { get; init; }
    public string? Decision { get; init; }
    public string[] Categories { get; init; } = [];
    public bool ImagePurged { get; init; }
}

public sealed record CaseNote(string Author, DateTime WrittenAt, string Note);

/// <summary>An audit entry naming the case, as the timeline shows it.</summary>
public sealed record CaseEvent(DateTime At, string Actor, string Action, string Details);

public sealed class CaseException(string message) : Exception(message);
