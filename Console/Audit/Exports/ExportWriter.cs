using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using CsvHelper;

namespace ModerationConsole.Audit.Exports;

/// <summary>
/// Writes one export (decisions, audit log or statements of reasons; CSV or JSON) from a database cursor into a
/// stream, row by row: memory stays flat whatever the size. Used by the direct download and by the export job.
/// </summary>
public sealed class ExportWriter(AuditSearch search, Policy.PolicyStore policies)
{
    public static readonly string[] Kinds = ["decisions", "audit-log", "statements-of-reasons"];
    public static readonly string[] Formats = ["csv", "json"];

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    static readonly JsonSerializerOptions SnakeCase = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string ContentType(string format) => format == "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8";

    public static string FileName(string kind, string format, DateTime at) =>
        $"{kind}-{at.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}.{format}";

    /// <summary>The filter an export of <paramref name="kind"/> really reads (statements of reasons exist for blocks only).</summary>
    public static AuditFilter Effective(string kind, AuditFilter filter) =>
        kind == "statements-of-reasons" ? filter with { Decision = AuditFilter.Restricting } : filter;

    /// <summary>How many rows the export will hold.</summary>
    public Task<long> CountAsync(string kind, AuditFilter filter, CancellationToken ct) =>
        search.CountAsync(Effective(kind, filter), auditLog: kind == "audit-log", ct);

    /// <summary>Writes the export; <paramref name="progress"/> is called every <paramref name="every"/> rows with the count so far.</summary>
    public async Task<long> WriteAsync(string kind, string format, AuditFilter filter, Stream body, CancellationToken ct,
        Func<long, Task>? progress = null, int every = 10_000)
    {
        var counter = new RowCounter(progress, every);
        var effective = Effective(kind, filter);
        await ((kind, format) switch
        {
            ("decisions", "csv") => WriteCsvAsync(body, counter.Count(search.AllDecisionsAsync(effective, ct)), ExportFormats.DecisionHeader, ExportFormats.Decision, ct),
            ("decisions", _) => WriteJsonAsync(body, counter.Count(search.AllDecisionsAsync(effective, ct)), Json, ct),
            ("audit-log", "csv") => WriteCsvAsync(body, counter.Count(search.AllEntriesAsync(effective, ct)), ExportFormats.AuditHeader, ExportFormats.Audit, ct),
            ("audit-log", _) => WriteJsonAsync(body, counter.Count(search.AllEntriesAsync(effective, ct)), Json, ct),
            (_, "csv") => WriteCsvAsync(body, counter.Count(Statements(effective, ct)), ExportFormats.StatementHeader, ExportFormats.Statement, ct),
            _ => WriteJsonAsync(body, counter.Count(Statements(effective, ct)), SnakeCase, ct),
        });
        return counter.Rows;
    }

    async IAsyncEnumerable<StatementOfReasons> Statements(AuditFilter blocked, [EnumeratorCancellation] CancellationToken ct)
    {
        // The active policy's DSA mapping: how the team reports its categories today.
        var policy = (await policies.LoadActiveAsync(ct)).Document;
        await foreach (var decision in search.AllDecisionsAsync(blocked, ct))
            yield return StatementOfReasons.For(decision, policy);
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

    sealed class RowCounter(Func<long, Task>? progress, int every)
    {
        public long Rows { get; private set; }

        public async IAsyncEnumerable<T> Count<T>(IAsyncEnumerable<T> rows)
        {
            await foreach (var row in rows)
            {
                yield return row;
                Rows++;
                if (progress is not null && Rows % every == 0) await progress(Rows);
            }
        }
    }
}
