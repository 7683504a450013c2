using Microsoft.Extensions.Options;
using ModerationConsole.Accounts;
using ModerationConsole.Data;
using ModerationConsole.Ingest;
using ModerationConsole.Jobs;

namespace ModerationConsole.Audit.Exports;

/// <summary>
/// Downloads for auditors: decisions, audit entries and statements of reasons, as CSV or JSON, for a filter. Small
/// exports stream from a database cursor straight into the response; larger ones (Audit:DirectExportMaxRows) are
/// prepared by an export job and downloaded from <c>/audit/export/jobs/{id}</c>. Every download is audited before its
/// first byte is sent.
/// </summary>
public static class ExportEndpoints
{
    public const string Prefix = "/audit/export";

    public static IEndpointRouteBuilder MapAuditExports(this IEndpointRouteBuilder app)
    {
        app.MapGet(Prefix + "/{kind}.{format}", ExportAsync).RequireAuthorization(Policies.Audit);
        app.MapGet(Prefix + "/jobs/{jobId:long}", DownloadJobFileAsync).RequireAuthorization(Policies.Audit);
        return app;
    }

    public static string JobFileUrl(long jobId) => $"{Prefix}/jobs/{jobId}";

    static async Task<IResult> ExportAsync(string kind, string format, HttpContext http, ExportWriter writer, Db db, IOptions<AuditOptions> options)
    {
        if (!ExportWriter.Kinds.Contains(kind))
            return Results.NotFound();
        if (!ExportWriter.Formats.Contains(format))
            return Results.BadRequest(new { errors = new[] { new FieldError("format", "must be csv or json") } });
        var (filter, errors) = AuditFilterQuery.Parse(http.Request.Query);
        if (errors.Count > 0)
            return Results.BadRequest(new { errors });

        var ct = http.RequestAborted;
        var rows = await writer.CountAsync(kind, filter, ct);
        if (rows > options.Value.DirectExportMaxRows)
            return Results.Conflict(new
            {
                errors = new[]
                {
                    new FieldError("filter", $"matches {rows:N0} rows, more than {options.Value.DirectExportMaxRows:N0} that are sent directly; " +
                                             "prepare the export as a job on the audit page, or narrow the filter"),
                },
            });

        await AuditDownloadAsync(db, http, new { kind, format, filter, rows }, ct);
        http.Response.ContentType = ExportWriter.ContentType(format);
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{ExportWriter.FileName(kind, format, DateTime.UtcNow)}\"";
        await writer.WriteAsync(kind, format, filter, http.Response.Body, ct);
        return Results.Empty;
    }

    static async Task<IResult> DownloadJobFileAsync(long jobId, HttpContext http, JobStore jobs, ExportJob exportJob, Db db)
    {
        var job = await jobs.FindAsync(jobId, http.RequestAborted);
        if (job is null || job.Kind != ExportJob.JobKind) return Results.NotFound();
        if (ExportJob.ResultOf(job) is not { } file)
            return Results.Conflict(new { errors = new[] { new FieldError("jobId", $"export job {jobId} is {job.State}, not finished") } });
        var path = exportJob.PathOf(jobId, file.Format);
        if (!File.Exists(path))
            return Results.Problem($"The file of export job {jobId} is no longer on this server.", statusCode: StatusCodes.Status410Gone);

        await AuditDownloadAsync(db, http, new { jobId, file.FileName, file.Rows, file.Sha256 }, http.RequestAborted);
        return Results.File(path, ExportWriter.ContentType(file.Format), file.FileName, enableRangeProcessing: true);
    }

    static Task AuditDownloadAsync(Db db, HttpContext http, object details, CancellationToken ct)
    {
        var auditor = Actor.User(http.User.UserId());
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            await AuditLog.AppendAsync(connection, transaction, auditor, AuditActions.ExportDownloaded, details: details);
            return true;
        }, ct);
    }
}
