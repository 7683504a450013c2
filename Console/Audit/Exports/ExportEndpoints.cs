using System.Globalization;
using System.Text;
using System.Text.Json;
using CsvHelper;
using ModerationConsole.Accounts;
using ModerationConsole.Data;

namespace ModerationConsole.Audit.Exports;

/// <summary>
/// Downloads for auditors: decisions, audit entries and statements of reasons, as CSV or JSON, for a filter. Each
/// streams from a database cursor straight into the response, so its size is bounded by the disk of whoever downloads
/// it, not by the console's memory. Each download is itself audited before the first byte is sent.
/// </summary>
public static class ExportEndpoints
{
    public const string Prefix = "/audit/export";
    public static readonly string[] Kinds = ["decisions", "audit-log", "statements-of-reasons"];
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    static readonly JsonSerializerOptions SnakeCase = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static IEndpointRouteBuilder MapAuditExports(this IEndpointRouteBuilder app)
    {
        app.MapGet(Prefix + "/{kind}.{format}", ExportAsync).RequireAuthorization(Policies.Audit);
        return app;
    }

    static async Task<IResult> ExportAsync(string kind, string format, HttpContext http, AuditSearch search, Db db)
    {
        if (!Kinds.Contains(kind))
            return Results.NotFound();
        if (format is not ("csv" or "json"))
            return Results.BadRequest(new { errors = new[] { new Ingest.FieldError("format", "must be csv or json") } });
        var (filter, errors) = AuditFilterQuery.Parse(http.Request.Query);
        if (errors.Count > 0)
            return Results.BadRequest(new { errors });

        var ct = http.RequestAborted;
        var auditor = Actor.User(http.User.UserId());
        await db.InTransactionAsync(async (connection, transaction) =>
        {
            await AuditLog.AppendAsync(connection, transaction, auditor, AuditActions.ExportDownloaded, details: new { kind, format, filter });
            return true;
        }, ct);

        var stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        http.Response.ContentType = format == "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{kind}-{stamp}.{format}\"";
        var writing = (kind, format) switch
        {
            ("decisions", "csv") => WriteCsvAsync(http.Response.Body, search.AllDecisionsAsync(filter, ct), DecisionCsv.Header, DecisionCsv.Fields, ct),
            ("decisions", _) => WriteJsonAsync(http.Response.Body, search.AllDecisionsAsync(filter, ct), Json, ct),
            ("audit-log", "csv") => WriteCsvAsync(http.Response.Body, search.AllEntriesAsync(filter, ct), AuditCsv.Header, AuditCsv.Fields, ct),
            ("audit-log", _) => WriteJsonAsync(http.Response.Body, search.AllEntriesAsync(filter, ct), Json, ct),
            (_, "csv") => WriteCsvAsync(http.Response.Body, Statements(search, filter, ct), SorCsv.Header, SorCsv.Fields, ct),
            _ => WriteJsonAsync(http.Response.Body, Statements(search, filter, ct), SnakeCase, ct),
        };
        await writing;
        return Results.Empty;
    }

    /// <summary>Statements of reasons exist for restrictions only: blocked decisions.</summary>
    static async IAsyncEnumerable<StatementOfReasons> Statements(AuditSearch search, AuditFilter filter,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var decision in search.AllDecisionsAsync(filter with { Decision = "blocked" }, ct))
            yield return StatementOfReasons.For(decision);
    }

    static async Task WriteCsvAsync<T>(Stream body, IAsyncEnumerable<T> rows, string[] header, Func<T, string?[]> fields, CancellationToken ct)
    {
        // Cells starting with = + - @ are escaped: a prompt must not become a formula in the auditor's spreadsheet.
        var options = new CsvWriterOptions { Injection = CsvInjection.Escape, FormatProvider = CultureInfo.InvariantCulture };
        await using var csv = CsvWriter.Create(body, options, leaveOpen: true);
        await csv.WriteRecordAsync(header, ct);
        var count = 0;
        await foreach (var row in rows.WithCancellation(ct))
        {
            await csv.WriteRecordAsync(Array.ConvertAll(fields(row), field => field ?? ""), ct);
            if (++count % 1000 == 0) await csv.FlushAsync(ct);
        }
        await csv.FlushAsync(ct);
    }

    // System.Text.Json writes an IAsyncEnumerable as a JSON array, flushing as its buffer fills: constant memory.
    static Task WriteJsonAsync<T>(Stream body, IAsyncEnumerable<T> rows, JsonSerializerOptions options, CancellationToken ct) =>
        JsonSerializer.SerializeAsync(body, rows, options, ct);

    static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    static class DecisionCsv
    {
        public static readonly string[] Header =
        [
            "decision_id", "decided_at", "decision", "categories", "automated", "moderator", "reason", "note", "item_id",
            "generation_id", "producer", "platform_user", "jurisdiction", "route", "created_at", "received_at", "handling_seconds",
        ];

        public static string?[] Fields(DecisionRecord d) =>
        [
            Number(d.Id), Time(d.DecidedAt), d.Decision, string.Join(';', d.Categories), d.Automated ? "true" : "false", d.Moderator, d.Reason,
            d.Note, Number(d.ItemId), d.GenerationId, d.Producer, d.PlatformUser, d.Jurisdiction, d.Route, Time(d.CreatedAt), Time(d.ReceivedAt),
            (d.DecidedAt - d.ReceivedAt).TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture),
        ];
    }

    static class AuditCsv
    {
        public static readonly string[] Header = ["entry_id", "at", "actor_kind", "actor_id", "actor", "action", "item_id", "details"];

        public static string?[] Fields(AuditRecord a) =>
            [Number(a.Id), Time(a.At), a.ActorKind, a.ActorId, a.Actor, a.Action, a.ItemId is { } item ? Number(item) : null, a.Details];
    }

    static class SorCsv
    {
        public static readonly string[] Header =
        [
            "puid", "decision_visibility", "decision_ground", "incompatible_content_ground", "incompatible_content_explanation",
            "incompatible_content_illegal", "content_type", "category", "content_date", "application_date", "decision_facts",
            "source_type", "automated_detection", "automated_decision", "territorial_scope",
        ];

        public static string?[] Fields(StatementOfReasons s) =>
        [
            s.Puid, string.Join(',', s.DecisionVisibility), s.DecisionGround, s.IncompatibleContentGround, s.IncompatibleContentExplanation,
            s.IncompatibleContentIllegal, string.Join(',', s.ContentType), s.Category, s.ContentDate, s.ApplicationDate, s.DecisionFacts,
            s.SourceType, s.AutomatedDetection, s.AutomatedDecision, string.Join(',', s.TerritorialScope),
        ];
    }
}
