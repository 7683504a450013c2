using System.Globalization;
using System.Text.Json;
using CsvHelper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit.Exports;
using ModerationConsole.Data;

namespace ModerationConsole.Audit.Reports;

/// <summary>
/// The reports as files: reviewer statistics and the transparency report, CSV or JSON, for <c>?from=&amp;to=</c> (default:
/// the last 30 days). Auditors and admins only; each download is audited like any export.
/// </summary>
public static class ReportEndpoints
{
    public const string Prefix = "/audit/reports";
    public const int DefaultDays = 30;
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static IEndpointRouteBuilder MapAuditReports(this IEndpointRouteBuilder app)
    {
        app.MapGet(Prefix + "/{report}.{format}", DownloadAsync).RequireAuthorization(Policies.Audit);
        return app;
    }

    public static string Url(string report, string format, ReportPeriod period) =>
        $"{Prefix}/{report}.{format}?from={Uri.EscapeDataString(period.From.ToString("O", CultureInfo.InvariantCulture))}" +
        $"&to={Uri.EscapeDataString(period.To.ToString("O", CultureInfo.InvariantCulture))}";

    static async Task<IResult> DownloadAsync(string report, string format, HttpContext http, ReviewerStatistics reviewers,
        TransparencyReports transparency, Db db)
    {
        if (report is not ("reviewers" or "transparency")) return Results.NotFound();
        if (format is not ("csv" or "json"))
            return Results.BadRequest(new { errors = new[] { new Ingest.FieldError("format", "must be csv or json") } });
        var (filter, errors) = AuditFilterQuery.Parse(http.Request.Query);
        if (errors.Count > 0) return Results.BadRequest(new { errors });
        var fallback = ReportPeriod.LastDays(DefaultDays, DateTimeOffset.UtcNow);
        var period = new ReportPeriod(filter.From ?? fallback.From, filter.To ?? fallback.To);

        var ct = http.RequestAborted;
        var auditor = Actor.User(http.User.UserId());
        await db.InTransactionAsync(async (connection, transaction) =>
        {
            await AuditLog.AppendAsync(connection, transaction, auditor, AuditActions.ExportDownloaded, details: new { report, format, period });
            return true;
        }, ct);

        http.Response.ContentType = ExportWriter.ContentType(format);
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{ExportWriter.FileName(report, format, DateTime.UtcNow)}\"";
        if (report == "reviewers")
        {
            var rows = await reviewers.ForAsync(period, ct);
            if (format == "json") await JsonSerializer.SerializeAsync(http.Response.Body, new { period, reviewers = rows }, Json, ct);
            else await WriteCsvAsync(http.Response.Body, ReviewerHeader, rows.Select(ReviewerFields), ct);
        }
        else
        {
            var result = await transparency.ForAsync(period, ct);
            if (format == "json")
                await JsonSerializer.SerializeAsync(http.Response.Body, new { report = result }, Json, ct);
            else await WriteCsvAsync(http.Response.Body, ["section", "dimension", "measure", "value"], TransparencyRows(result), ct);
        }
        return Results.Empty;
    }

    static readonly string[] ReviewerHeader =
        ["moderator", "role", "items", "decisions", "blocked", "escalated", "median_seconds_to_decision", "median_handling_seconds",
         "overturned", "overturn_rate", "overturns_made"];

    static string[] ReviewerFields(ReviewerRow r) =>
    [
        r.Moderator, r.Role, N(r.Items), N(r.Decisions), N(r.Blocked), N(r.Escalated), D(r.MedianSecondsToDecision), D(r.MedianHandlingSeconds),
        N(r.Overturned), D(r.OverturnRate), N(r.OverturnsMade),
    ];

    /// <summary>The transparency report in long form: one figure per row, so sections of any length fit one table.</summary>
    static IEnumerable<string[]> TransparencyRows(TransparencyReport t)
    {
        yield return ["period", "", "from", t.Period.From.ToString("O", CultureInfo.InvariantCulture)];
        yield return ["period", "", "to", t.Period.To.ToString("O", CultureInfo.InvariantCulture)];
        yield return ["totals", "", "decisions", N(t.Decisions)];
        yield return ["totals", "", "restrictions", N(t.Restrictions)];
        yield return ["totals", "automated", "decisions", N(t.AutomatedDecisions)];
        yield return ["totals", "human", "decisions", N(t.HumanDecisions)];
        yield return ["totals", "automated", "median_handling_seconds", D(t.MedianHandlingSecondsAutomated)];
        yield return ["totals", "human", "median_handling_seconds", D(t.MedianHandlingSecondsHuman)];
        yield return ["totals", "", "reversed_on_internal_review", N(t.Reversals)];
        foreach (var a in t.AccountActions) yield return ["account_actions", a.Key, "count", N(a.Count)];
        yield return ["complaints", "", "received", N(t.Complaints.Received)];
        yield return ["complaints", "upheld", "count", N(t.Complaints.Upheld)];
        yield return ["complaints", "overturned", "count", N(t.Complaints.Overturned)];
        yield return ["complaints", "modified", "count", N(t.Complaints.Modified)];
        yield return ["complaints", "pending", "count", N(t.Complaints.Pending)];
        yield return ["complaints", "", "median_hours_to_decide", D(t.Complaints.MedianHoursToDecide)];
        foreach (var b in t.ComplaintsByBasis) yield return ["complaints_basis", b.Key, "count", N(b.Count)];
        foreach (var c in t.ByCategory)
        {
            yield return ["category", c.Category, "restrictions", N(c.Restrictions)];
            yield return ["category", c.Category, "automated", N(c.Automated)];
            yield return ["category", c.Category, "human", N(c.Human)];
            yield return ["category", c.Category, "median_handling_seconds", D(c.MedianHandlingSeconds)];
            yield return ["category", c.Category, "reversed", N(c.Reversed)];
        }
        foreach (var territory in t.ByTerritory)
        {
            yield return ["territory", territory.Territory, "restrictions", N(territory.Restrictions)];
            yield return ["territory", territory.Territory, "approvals", N(territory.Approvals)];
        }
    }

    static async Task WriteCsvAsync(Stream body, string[] header, IEnumerable<string[]> rows, CancellationToken ct)
    {
        var options = new CsvWriterOptions { Injection = CsvInjection.Escape, FormatProvider = CultureInfo.InvariantCulture };
        await using var csv = CsvWriter.Create(body, options, leaveOpen: true);
        await csv.WriteRecordAsync(header, ct);
        foreach (var row in rows) await csv.WriteRecordAsync(row, ct);
        await csv.FlushAsync(ct);
    }

    static string N(long value) => value.ToString(CultureInfo.InvariantCulture);
    static string D(double? value) => value?.ToString("0.###", CultureInfo.InvariantCulture) ?? "";
}
