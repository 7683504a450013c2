using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
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
public sealed partial class CircuitMemoryBenchmark : IBenchmark
{
    private const string Password = "bench-moderator-password";

    public string Name => "memory";
    public string Summary => "server memory per connected moderator (Blazor circuit), measured with N circuits (default 50) opened by headless Chromium";

    public async Task RunAsync(BenchRun run, CancellationToken ct)
    {
        var circuits = run.Arguments.TakeIntOption("--circuits", 1, 1000) ?? 50;
        var chromium = run.Arguments.TakeOption("--chromium") ?? "/usr/bin/chromium";
        if (!File.Exists(chromium)) throw new InvalidOperationException($"Chromium was not found at {chromium} (apt-get install chromium, or --chromium PATH).");
        var (services, baseAddress) = await run.StartConsoleAsync();
        var counter = services.GetRequiredService<CircuitCounter>();
        var report = run.Report;

        await services.GetRequiredService<UserStore>().CreateAsync("bench-memory@example.org", Password, Roles.Moderator, Actor.Console, ct);
        var cookie = await SignInAsync(baseAddress, ct);

        var (heapBefore, setBefore) = Measure();
        using var browser = await Browser.StartAsync(chromium, ct);
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

    /// <summary>Signs in through the real login form, as a browser would, and returns the session cookie.</summary>
    private static async Task<Cookie> SignInAsync(Uri baseAddress, CancellationToken ct)
    {
        var cookies = new CookieContainer();
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = baseAddress };
        var form = await http.GetStringAsync("/login", ct);
        var token = WebUtility.HtmlDecode(AntiforgeryToken().Match(form).Groups[1].Value);
        var response = await http.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = "bench-memory@example.org", ["password"] = Password, ["__RequestVerificationToken"] = token,
        }), ct);
        return cookies.GetCookies(baseAddress).FirstOrDefault(c => c.Name == "moderation.auth")
               ?? throw new InvalidOperationException($"Signing in failed: {response.StatusCode}");
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();

    /// <summary>Headless Chromium and its DevTools WebSocket: just enough of the protocol to set a cookie and open tabs.</summary>
    private sealed partial class Browser : IDisposable
    {
        private readonly Process process;
        private readonly ClientWebSocket socket;
        private readonly DirectoryInfo profile;
        private int nextId;

        private Browser(Process process, ClientWebSocket socket, DirectoryInfo profile) => (this.process, this.socket, this.profile) = (process, socket, profile);

        public static async Task<Browser> StartAsync(string chromium, CancellationToken ct)
        {
            var profile = Directory.CreateTempSubdirectory("mc-bench-chromium-");
            var start = new ProcessStartInfo(chromium) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in new[] { "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--remote-debugging-port=0",
                                        $"--user-data-dir={profile.FullName}", "about:blank" })
                start.ArgumentList.Add(arg);
            var process = Process.Start(start)!;
            string? endpoint = null;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            while (endpoint is null && await process.StandardError.ReadLineAsync(timeout.Token) is { } line)
                if (DevTools().Match(line) is { Success: true } match) endpoint = match.Groups[1].Value;
            if (endpoint is null) throw new InvalidOperationException("Chromium did not open its DevTools endpoint.");
            _ = process.StandardError.ReadToEndAsync(CancellationToken.None); // keep draining so Chromium never blocks on a full pipe
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(new Uri(endpoint), ct);
            return new Browser(process, socket, profile);
        }

        public async Task<JsonNode?> SendAsync(string method, JsonObject parameters, CancellationToken ct)
        {
            var id = ++nextId;
            var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters }.ToJsonString();
            await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, ct);
            var buffer = new byte[64 * 1024];
            while (true)
            {
                using var received = new MemoryStream();
                WebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer, ct);
                    received.Write(buffer, 0, result.Count);
                } while (!result.EndOfMessage);
                var reply = JsonNode.Parse(received.ToArray());
                if (reply?["id"]?.GetValue<int>() != id) continue; // an event, or an answer to someone else
                if (reply["error"] is { } error) throw new InvalidOperationException($"{method} failed: {error.ToJsonString()}");
                return reply["result"];
            }
        }

        public void Dispose()
        {
            socket.Dispose();
            try { process.Kill(entireProcessTree: true); process.WaitForExit(10_000); } catch (InvalidOperationException) { }
            process.Dispose();
            try { profile.Delete(recursive: true); } catch (IOException) { }
        }

        [GeneratedRegex(@"DevTools listening on (ws://\S+)")]
        private static partial Regex DevTools();
    }
}
