using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ModerationConsole.Bench;

/// <summary>
/// The machine's Chromium, headless, driven over its DevTools protocol with .NET's own WebSocket client: commands to
/// the browser or, with a session id, to one of its pages, several at once, each answered by the reply with its id.
/// Benchmarks use it to open real moderators' pages; Playwright, a test dependency, is not shipped.
/// </summary>
public sealed partial class HeadlessChromium : IDisposable
{
    private readonly Process process;
    private readonly ClientWebSocket socket;
    private readonly DirectoryInfo profile;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonNode?>> waiting = new();
    private readonly SemaphoreSlim sending = new(1, 1);
    private readonly CancellationTokenSource closing = new();
    private int nextId;

    private HeadlessChromium(Process process, ClientWebSocket socket, DirectoryInfo profile)
    {
        (this.process, this.socket, this.profile) = (process, socket, profile);
        _ = Task.Run(ReadRepliesAsync);
    }

    public static async Task<HeadlessChromium> StartAsync(string chromium, CancellationToken ct)
    {
        if (!File.Exists(chromium)) throw new InvalidOperationException($"Chromium was not found at {chromium} (apt-get install chromium, or --chromium PATH).");
        var profile = Directory.CreateTempSubdirectory("mc-bench-chromium-");
        var start = new ProcessStartInfo(chromium) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--remote-debugging-port=0",
                                    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
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
        return new HeadlessChromium(process, socket, profile);
    }

    /// <summary>One command; <paramref name="sessionId"/> sends it to a page attached with <c>Target.attachToTarget</c> (flatten).</summary>
    public async Task<JsonNode?> SendAsync(string method, JsonObject parameters, CancellationToken ct, string? sessionId = null)
    {
        var id = Interlocked.Increment(ref nextId);
        var reply = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        waiting[id] = reply;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
        if (sessionId is not null) message["sessionId"] = sessionId;
        await sending.WaitAsync(ct);
        try
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, ct);
        }
        finally
        {
            sending.Release();
        }
        using var cancel = ct.Register(() => reply.TrySetCanceled(ct));
        var result = await reply.Task;
        return result;
    }

    /// <summary>A new browser context (its own cookies) holding the cookie, and a page in it at <paramref name="url"/>; its session id.</summary>
    public async Task<string> OpenSignedInPageAsync(Uri url, Cookie cookie, CancellationToken ct)
    {
        var context = (await SendAsync("Target.createBrowserContext", new JsonObject(), ct))!["browserContextId"]!.GetValue<string>();
        await SendAsync("Storage.setCookies", new JsonObject
        {
            ["browserContextId"] = context,
            ["cookies"] = new JsonArray(new JsonObject
            {
                ["name"] = cookie.Name, ["value"] = cookie.Value, ["domain"] = url.Host, ["path"] = "/", ["httpOnly"] = true,
            }),
        }, ct);
        var target = (await SendAsync("Target.createTarget", new JsonObject { ["url"] = url.ToString(), ["browserContextId"] = context }, ct))!
            ["targetId"]!.GetValue<string>();
        return (await SendAsync("Target.attachToTarget", new JsonObject { ["targetId"] = target, ["flatten"] = true }, ct))!
            ["sessionId"]!.GetValue<string>();
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page, awaiting a promise, and returns its value.</summary>
    public async Task<JsonNode?> EvaluateAsync(string sessionId, string expression, CancellationToken ct)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject
        {
            ["expression"] = expression, ["awaitPromise"] = true, ["returnByValue"] = true,
        }, ct, sessionId);
        if (result?["exceptionDetails"] is { } failed) throw new InvalidOperationException($"The page threw: {failed.ToJsonString()}");
        return result?["result"]?["value"];
    }

    private async Task ReadRepliesAsync()
    {
        var buffer = new byte[64 * 1024];
        var ended = "closed";
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                using var received = new MemoryStream();
                WebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer, closing.Token);
                    received.Write(buffer, 0, result.Count);
                } while (!result.EndOfMessage);
                var reply = JsonNode.Parse(received.ToArray());
                // Events have no id; replies complete the command that waits for them.
                if (reply?["id"] is not { } id || !waiting.TryRemove(id.GetValue<int>(), out var command)) continue;
                if (reply["error"] is { } error) command.TrySetException(new InvalidOperationException($"DevTools: {error.ToJsonString()}"));
                else command.TrySetResult(reply["result"]);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            ended = ex.Message;
        }
        foreach (var command in waiting.Values) command.TrySetException(new InvalidOperationException($"Chromium closed its DevTools connection: {ended}"));
    }

    public void Dispose()
    {
        closing.Cancel();
        socket.Dispose();
        try { process.Kill(entireProcessTree: true); process.WaitForExit(10_000); } catch (InvalidOperationException) { }
        process.Dispose();
        try { profile.Delete(recursive: true); } catch (IOException) { }
        closing.Dispose();
    }

    [GeneratedRegex(@"DevTools listening on (ws://\S+)")]
    private static partial Regex DevTools();
}
