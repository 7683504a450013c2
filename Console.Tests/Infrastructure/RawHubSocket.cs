using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using ModerationConsole.Ingest;
using ModerationConsole.Producers;

namespace ModerationConsole.Tests.Infrastructure;

/// <summary>
/// A producer's hub connection at the level of the wire: SignalR's JSON protocol over a WebSocket, so a test can send
/// bytes no client library would write (nesting past any serializer's limit, invalid UTF-8) and see what comes back.
/// </summary>
public sealed class RawHubSocket : IAsyncDisposable
{
    private const char RecordSeparator = '\u001e';
    private readonly ClientWebSocket socket = new();
    private readonly StringBuilder received = new();
    private int invocations;

    public WebSocketState State => socket.State;

    public static async Task<RawHubSocket> ConnectAsync(Uri baseAddress, string apiKey)
    {
        var raw = new RawHubSocket();
        raw.socket.Options.SetRequestHeader(ApiKeys.HeaderName, apiKey);
        var address = new UriBuilder(new Uri(baseAddress, IngestHub.Path)) { Scheme = baseAddress.Scheme == "https" ? "wss" : "ws" }.Uri;
        await raw.socket.ConnectAsync(address, CancellationToken.None);
        await raw.SendAsync(Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}" + RecordSeparator));
        var handshake = await raw.NextMessageAsync();
        if (handshake != "{}") throw new InvalidOperationException($"The hub refused the handshake: {handshake}");
        return raw;
    }

    /// <summary>
    /// Invokes <paramref name="target"/> with one argument written as the raw UTF-8 <paramref name="argument"/>, and
    /// returns the completion's result (or throws with the hub's error).
    /// </summary>
    public async Task<JsonNode?> InvokeAsync(string target, byte[] argument)
    {
        var id = (++invocations).ToString();
        byte[] message = [.. Encoding.UTF8.GetBytes($"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"{target}\",\"arguments\":["),
            .. argument, .. Encoding.UTF8.GetBytes("]}" + RecordSeparator)];
        await SendAsync(message);
        while (true)
        {
            var reply = JsonNode.Parse(await NextMessageAsync())!;
            if (reply["type"]?.GetValue<int>() == 7)
                throw new WebSocketException($"The hub closed the connection: {reply["error"]?.GetValue<string>() ?? "no reason given"}");
            if (reply["type"]?.GetValue<int>() != 3 || reply["invocationId"]?.GetValue<string>() != id) continue;
            if (reply["error"] is { } error) throw new InvalidOperationException(error.GetValue<string>());
            return reply["result"];
        }
    }

    /// <summary>
    /// Sent as binary frames: WebSocket closes a connection on a text frame that is not UTF-8 (RFC 6455, 8.1), before
    /// the hub sees it, and SignalR reads either kind of frame alike.
    /// </summary>
    private Task SendAsync(byte[] bytes) =>
        socket.SendAsync(bytes, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);

    /// <summary>The next message the hub wrote, skipping pings; throws when the hub closed the connection.</summary>
    private async Task<string> NextMessageAsync()
    {
        var buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var text = received.ToString();
            var end = text.IndexOf(RecordSeparator);
            if (end >= 0)
            {
                received.Remove(0, end + 1);
                var message = text[..end];
                if (message.Contains("\"type\":6")) continue; // a ping
                return message;
            }
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
                throw new WebSocketException($"The hub closed the connection: {result.CloseStatusDescription}");
            received.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (socket.State == WebSocketState.Open)
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        socket.Dispose();
    }
}
