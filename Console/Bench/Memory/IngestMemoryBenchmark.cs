using System.Diagnostics;
using System.Net.Http.Json;
using ModerationConsole.Audit;
using ModerationConsole.Ingest;
using ModerationConsole.Producers;
using SkiaSharp;

namespace ModerationConsole.Bench;

/// <summary>
/// <c>bench ingest-memory</c>: the decompression attack a red team ran. Requests of 100 valid 4096×4096 PNGs that
/// compress to a few kilobytes each (a 9-MB body that decodes to 6.4 GB of pixels), several at once over HTTP; the
/// console's working set is sampled every 10 ms and its peak is reported over the idle console's, against the 1-GiB
/// goal. Normal traffic's throughput is <c>bench ingest</c>'s.
/// </summary>
public sealed class IngestMemoryBenchmark : IBenchmark
{
    private const int Side = 4096;
    private const double GoalMiB = 1024;

    public string Name => "ingest-memory";
    public string Summary => "peak working set over idle while requests of 100 tiny-compressing 4096×4096 PNGs arrive at once; goal ≤ 1 GiB";

    public async Task RunAsync(BenchRun run, CancellationToken ct)
    {
        var requests = run.Arguments.TakeIntOption("--requests", 1, 16) ?? 2;
        var items = run.Arguments.TakeIntOption("--items", 1, 500) ?? 100;
        var (services, baseAddress) = await run.StartConsoleAsync();
        var report = run.Report;
        var key = (await services.GetRequiredService<ProducerStore>().CreateAsync("bench-platform", Actor.Console, ct)).ApiKey;

        var png = FlatPng();
        var image = Convert.ToBase64String(png);
        report.Figure("one image", png.Length / 1024.0, $"KiB as PNG, {Side}×{Side} pixels ({Side * Side * 4 / 1048576} MiB as RGBA)");
        object[] Body(int request) => Enumerable.Range(0, items).Select(i => (object)new
        {
            generationId = $"bomb-{request}-{i}",
            userId = $"user-{request}",
            prompt = "a flat grey square",
            model = "imagegen-xl 2.1",
            createdAt = DateTimeOffset.UtcNow.ToString("O"),
            image,
            scores = new Dictionary<string, double> { ["sexual"] = 0.6 },
        }).ToArray();
        var bodies = Enumerable.Range(0, requests).Select(Body).ToArray();

        var idle = IdleWorkingSet();
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var peak = Task.Run(() => PeakWorkingSet(sampling.Token), ct);
        var timer = Stopwatch.StartNew();
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(10) };
        http.DefaultRequestHeaders.Add(ApiKeys.HeaderName, key);
        var answers = await Task.WhenAll(bodies.Select(async body =>
        {
            using var response = await http.PostAsJsonAsync("/api/v1/generations", body, ct);
            response.EnsureSuccessStatusCode();
            return await response.Content.ReadFromJsonAsync<IngestReceipt[]>(ct) ?? [];
        }));
        var elapsed = timer.Elapsed;
        await sampling.CancelAsync();
        var peakBytes = await peak;

        var accepted = answers.Sum(a => a.Count(r => r.Status == ReceiptStatus.Accepted));
        if (accepted != requests * items)
            throw new InvalidOperationException($"{accepted} of {requests * items} items were accepted: the attack must be valid input.");
        report.Figure("accepted", accepted, $"items in {requests} requests at once, in {elapsed.TotalSeconds:0.0} s");
        report.Figure("idle working set", idle / 1048576.0, "MiB");
        report.Goal("peak working set over idle", (peakBytes - idle) / 1048576.0, "MiB", GoalMiB);
    }

    /// <summary>One grey 4096×4096 PNG: every row alike, so zlib makes it a few kilobytes.</summary>
    private static byte[] FlatPng()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(Side, Side, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(new SKColor(128, 128, 128));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static long IdleWorkingSet()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    private static async Task<long> PeakWorkingSet(CancellationToken ct)
    {
        using var process = Process.GetCurrentProcess();
        var peak = 0L;
        while (!ct.IsCancellationRequested)
        {
            process.Refresh();
            peak = Math.Max(peak, process.WorkingSet64);
            try { await Task.Delay(10, ct); } catch (OperationCanceledException) { }
        }
        return peak;
    }
}
