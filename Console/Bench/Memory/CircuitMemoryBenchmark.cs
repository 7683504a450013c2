using System.Diagnostics;
using System.Text.Json.Nodes;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Operations;

namespace ModerationConsole.Bench;

/// <summary>
/// <c>bench memory</c>: server memory per connected moderator. The machine's Chromium (headless, driven over the
/// DevTools protocol with .NET's own WebSocket client) opens N signed-in queue pages (default 50), each a Blazor
/// circuit on the console; the console's managed heap and working set are measured before and after, both after a
/// full garbage collection.
/// </summary>
public sealed class CircuitMemoryBenchmark : IBenchmark
{
    private const string Password = "bench-moderator-password";

    public string Name => "memory";
    public string Summary => "server memory per connected moderator (Blazor circuit), measured with N circuits (default 50) opened by headless Chromium";

    public async Task RunAsync(BenchRun run, CancellationToken ct)
    {
        var circuits = run.Arguments.TakeIntOption("--circuits", 1, 1000) ?? 50;
        var chromium = run.Arguments.TakeOption("--chromium") ?? "/usr/bin/chromium";
        var (services, baseAddress) = await run.StartConsoleAsync();
        var counter = services.GetRequiredService<CircuitCounter>();
        var report = run.Report;

        await services.GetRequiredService<UserStore>().CreateAsync("bench-memory@example.org", Password, Roles.Moderator, Actor.Console, ct);
        var cookie = await BenchSignIn.CookieAsync(baseAddress, "bench-memory@example.org", Password, ct);

        var (heapBefore, setBefore) = Measure();
        using var browser = await HeadlessChromium.StartAsync(chromium, ct);
        await browser.SendAsync("Storage.setCookies", new JsonObject
        {
            ["cookies"] = new JsonArray(new JsonObject
            {
                ["name"] = cookie.Name, ["value"] = cookie.Value, ["domain"] = baseAddress.Host, ["path"] = "/", ["httpOnly"] = true,
            }),
        }, ct);
        var opening = Stopwatch.StartNew();
        for (var i = 0; i < circuits; i++)
            await browser.SendAsync("Target.createTarget", new JsonObject { ["url"] = new Uri(baseAddress, "/queue").ToString() }, ct);
        while (counter.Open < circuits)
        {
            if (opening.Elapsed > TimeSpan.FromMinutes(2)) throw new TimeoutException($"Only {counter.Open} of {circuits} circuits opened within 2 minutes.");
            await Task.Delay(200, ct);
        }
        report.Figure("circuits open", counter.Open, $"after {opening.Elapsed.TotalSeconds:0.0} s");
        await Task.Delay(TimeSpan.FromSeconds(3), ct); // let every page finish its first render and queue counts
        var (heapAfter, setAfter) = Measure();

        report.Figure("managed heap per circuit", (heapAfter - heapBefore) / (double)circuits / 1024, "KiB");
        report.Figure("working set per circuit", (setAfter - setBefore) / (double)circuits / 1024, "KiB");
        report.Figure("working set with all circuits", setAfter / 1048576.0, "MiB");
    }

    private static (long Heap, long WorkingSet) Measure()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        return (heap, process.WorkingSet64);
    }
}
