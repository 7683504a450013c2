using System.Diagnostics;
using Dapper;
using ModerationConsole.Jobs;
using ModerationConsole.Audit;
using ModerationConsole.Audit.Exports;

namespace ModerationConsole.Bench;

/// <summary>
/// <c>bench export</c>: a million decisions exported to CSV by the export job (the path large exports take), while the
/// process's memory is sampled. The figure that matters is how much memory grew against how large the file is: a
/// streamed export stays flat, a buffered one would grow by at least the file's size.
/// </summary>
public sealed class ExportBenchmark : IBenchmark
{
    public string Name => "export";
    public string Summary => "peak memory growth while exporting N decisions (default 1,000,000) to CSV, against the file's size; goal ≤ 0.25";

    public async Task RunAsync(BenchRun run, CancellationToken ct)
    {
        var rows = run.Arguments.TakeIntOption("--rows", 1000, 50_000_000) ?? 1_000_000;
        var (services, _) = await run.StartConsoleAsync("--Jobs:WorkerCount=1");
        var report = run.Report;

        var seeding = Stopwatch.StartNew();
        await SeedAsync(run, rows, ct);
        report.Figure("decisions seeded", rows, $"rows in {seeding.Elapsed.TotalSeconds:0.0} s");

        await SearchLatencyAsync(services.GetRequiredService<AuditSearch>(), report, ct);

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var baselineHeap = GC.GetTotalMemory(forceFullCollection: true);
        var baselineWorkingSet = WorkingSet();

        var jobs = services.GetRequiredService<JobStore>();
        var timer = Stopwatch.StartNew();
        var jobId = await jobs.StartAsync(ExportJob.JobKind, ExportJob.Parameters("decisions", "csv", new AuditFilter()), Actor.Console, null, ct);
        long peakHeap = baselineHeap, peakWorkingSet = baselineWorkingSet;
        JobView? job;
        do
        {
            await Task.Delay(20, ct);
            peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(forceFullCollection: false));
            peakWorkingSet = Math.Max(peakWorkingSet, WorkingSet());
            job = await jobs.FindAsync(jobId, ct);
        } while (job is { Finished: false });
        timer.Stop();

        var file = ExportJob.ResultOf(job!) ?? throw new InvalidOperationException($"The export job ended {job?.State}: {job?.Error}");
        if (file.Rows != rows) throw new InvalidOperationException($"The export holds {file.Rows} rows, not {rows}.");
        var heapGrowth = peakHeap - baselineHeap;
        var workingSetGrowth = peakWorkingSet - baselineWorkingSet;
        report.Figure("rows exported", file.Rows, "rows");
        report.Figure("file size", file.Bytes / 1048576.0, "MiB");
        report.Figure("export time", timer.Elapsed.TotalSeconds, "s");
        report.Figure("export rate", file.Rows / timer.Elapsed.TotalSeconds, "rows/s");
        report.Figure("peak managed heap growth", heapGrowth / 1048576.0, "MiB");
        report.Figure("peak working set growth", workingSetGrowth / 1048576.0, "MiB");
        // Holding the export in memory would cost at least the file's size (twice that as .NET strings): a ratio of 1 or
        // more. Streaming keeps the growth to buffers and the GC's allowance, a few MiB whatever the size.
        report.Ratio("working set growth / file size", workingSetGrowth, file.Bytes, goal: 0.25, higherIsBetter: false);
        File.Delete(services.GetRequiredService<ExportJob>().PathOf(jobId, file.Format));
    }

    /// <summary>Auditors' search on the same million rows: key-paged, so the last page costs what the first does.</summary>
    private static async Task SearchLatencyAsync(AuditSearch search, BenchReport report, CancellationToken ct)
    {
        var filters = new (string Name, AuditFilter Filter)[]
        {
            ("search page, no filter", new AuditFilter()),
            ("search page, by moderator", new AuditFilter { Moderator = BenchSeed.ModeratorEmail }),
            ("search page, by platform user", new AuditFilter { PlatformUser = "user-42" }),
            ("search page, by jurisdiction", new AuditFilter { Jurisdiction = "DE", Decision = "blocked" }),
        };
        foreach (var (name, filter) in filters)
        {
            await search.DecisionsAsync(filter, null, 50, ct); // warm the plan and the cache
            var timer = Stopwatch.StartNew();
            var page = await search.DecisionsAsync(filter, null, 50, ct);
            for (var i = 0; i < 20 && page.Before is not null; i++) page = await search.DecisionsAsync(filter, page.Before, 50, ct);
            report.Figure(name, timer.Elapsed.TotalMilliseconds / 21, "ms (mean of 21 pages)");
        }
    }

    private static long WorkingSet()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    /// <summary>N decided items (see <see cref="BenchSeed"/>) and a decision for each, a quarter of them automatic.</summary>
    private static async Task SeedAsync(BenchRun run, int rows, CancellationToken ct)
    {
        await using var connection = await run.OpenConnectionAsync(ct);
        await BenchSeed.ItemsAsync(connection, rows, pending: false);
        await connection.ExecuteAsync(
            """
            insert into decisions (item_id, producer_id, decision, categories, reason, note, automated, decided_by, decided_at)
            select r.id, r.producer_id, case when r.id % 2 = 0 then 'blocked' else 'approved' end,
                   case when r.id % 2 = 0 then '{sexual}'::text[] else '{}'::text[] end,
                   'The image was removed because it depicts sexual content.', null, r.id % 4 = 0,
                   case when r.id % 4 = 0 then null else (select id from users) end, now()
            from review_items r;
            analyze decisions;
            """, commandTimeout: 0);
    }
}
