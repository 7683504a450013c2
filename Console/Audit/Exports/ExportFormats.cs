using System.Globalization;

namespace ModerationConsole.Audit.Exports;

/// <summary>The CSV columns of each export. Column names are a contract with auditors' tooling: add, never rename.</summary>
public static class ExportFormats
{
    public static readonly string[] DecisionHeader =
    [
        "decision_id", "decided_at", "decision", "categories", "automated", "moderator", "reason", "note", "item_id",
        "generation_id", "producer", "platform_user", "jurisdiction", "route", "created_at", "received_at", "handling_seconds", "outcome",
    ];

    public static string?[] Decision(DecisionRecord d) =>
    [
        Number(d.Id), Time(d.DecidedAt), d.Decision, string.Join(';', d.Categories), d.Automated ? "true" : "false", d.Moderator, d.Reason,
        d.Note, Number(d.ItemId), d.GenerationId, d.Producer, d.PlatformUser, d.Jurisdiction, d.Route, Time(d.CreatedAt), Time(d.ReceivedAt),
        (d.DecidedAt - d.ReceivedAt).TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture), d.Outcome ?? Policy.Outcomes.Of(d.Decision),
    ];

    public static readonly string[] AuditHeader = ["entry_id", "at", "actor_kind", "actor_id", "actor", "action", "item_id", "details"];

    public static string?[] Audit(AuditRecord a) =>
        [Number(a.Id), Time(a.At), a.ActorKind, a.ActorId, a.Actor, a.Action, a.ItemId is { } item ? Number(item) : null, a.Details];

    public static readonly string[] StatementHeader =
    [
        "puid", "decision_visibility", "decision_ground", "incompatible_content_ground", "incompatible_content_explanation",
        "incompatible_content_illegal", "content_type", "category", "content_date", "application_date", "decision_facts",
        "source_type", "automated_detection", "automated_decision", "territorial_scope",
    ];

    public static string?[] Statement(StatementOfReasons s) =>
    [
        s.Puid, string.Join(',', s.DecisionVisibility), s.DecisionGround, s.IncompatibleContentGround, s.IncompatibleContentExplanation,
        s.IncompatibleContentIllegal, string.Join(',', s.ContentType), s.Category, s.ContentDate, s.ApplicationDate, s.DecisionFacts,
        s.SourceType, s.AutomatedDetection, s.AutomatedDecision, string.Join(',', s.TerritorialScope),
    ];

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
