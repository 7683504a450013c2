using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;
using ModerationConsole.Jobs;

namespace ModerationConsole.Audit.Exports;

/// <summary>What an export job hands back: the file, its size, row count and SHA-256 (so a recipient can check it).</summary>
public sealed record ExportFile(string FileName, string Format, long Rows, long Bytes, string Sha256);

/// <summary>
/// A large export as a background job: written to a temporary file beside its final name and renamed when complete,
/// so a download link never points at half a file. Re-running after a crash starts the file again from the beginning.
/// </summary>
public sealed class ExportJob(ExportWriter writer, IOptions<AuditOptions> options, IHostEnvironment environment, Npgsql.NpgsqlDataSource dataSource)
    : IJobHandler
{
    public const string JobKind = "export";

    public string Kind => JobKind;
    public string Queue => JobQueues.Exports;

    public static object Parameters(string kind, string format, AuditFilter filter) => new { kind, format, filter };

    public async Task<object?> RunAsync(JobContext context)
    {
        var kind = context.Parameter<string>("kind");
        var format = context.Parameter<string>("format");
        var filter = context.Parameter<AuditFilter>("filter");
        if (!ExportWriter.Kinds.Contains(kind) || !ExportWriter.Formats.Contains(format))
            throw new InvalidOperationException($"Unknown export {kind}.{format}.");

        var ct = context.CancellationToken;
        var total = await writer.CountAsync(kind, filter, ct);
        await context.ReportAsync(0, total);

        var path = PathOf(context.JobId, format);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var partial = path + ".partial";
        long rows;
        try
        {
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                rows = await writer.WriteAsync(kind, format, filter, file, ct, done => context.ReportAsync(done, Math.Max(total, done)));
            }
            File.Move(partial, path, overwrite: true);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
        await context.ReportAsync(rows, rows);

        await using var written = File.OpenRead(path);
        var sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(written, ct));
        return new ExportFile(ExportWriter.FileName(kind, format, DateTime.UtcNow), format, rows, written.Length, sha256);
    }

    /// <summary>
    /// Where job <paramref name="jobId"/>'s file lives: named by the job, never by anything a user typed, in a folder of
    /// its database: job ids start at 1 in every database, and two databases may share one export folder (a staging
    /// and a production console on one host; the test suite's many databases), which must never overwrite or serve
    /// each other's files.
    /// </summary>
    public string PathOf(long jobId, string format) =>
        Path.Combine(Path.GetFullPath(options.Value.ExportDirectory, environment.ContentRootPath), DatabaseFolder, $"export-{jobId}.{format}");

    private string DatabaseFolder
    {
        get
        {
            var server = new Npgsql.NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
            return string.Concat($"{server.Host}-{server.Port}-{server.Database}"
                .Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '_'));
        }
    }

    public static ExportFile? ResultOf(JobView job) =>
        job is { Kind: JobKind, State: JobStates.Succeeded, Result: { } result }
            ? JsonSerializer.Deserialize<ExportFile>(result, JobContext.JsonOptions)
            : null;
}
