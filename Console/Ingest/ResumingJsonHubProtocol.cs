// Hand-written wrapper: SignalR's parser searches a message again on every read; this one resumes: 86 ms against 268 ms for a 9-MB message in 4-KB reads (bench ingest).
using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;

namespace ModerationConsole.Ingest;

/// <summary>
/// SignalR's JSON protocol, unchanged on the wire, that resumes its search for the end of a message where the previous
/// read of the same connection stopped. SignalR's own parser searches the whole buffered message for the record
/// separator again on every read: a batch of 100 images is a ~9-MB message, and when it arrives in 4-KB reads, as over
/// a real network, that is ~2,300 searches of 4.5 MB on average, about 0.2 s of a core per batch on this repository's
/// machine (bench ingest prints it); this searches each byte once.
/// </summary>
/// <remarks>
/// What was searched is kept per connection, keyed by the connection's invocation binder (SignalR makes one per
/// connection and passes it to every call). It is used only when the buffer starts where it started last time: SignalR
/// consumes nothing from a buffer in which no message was found, and only appends to it, so the bytes already searched
/// are the same bytes. Any other buffer is searched from its start.
/// <para>A message SignalR's parser refuses is read once more without its nesting limit (<see cref="DeepInvocationReader"/>).</para>
/// </remarks>
public sealed class ResumingJsonHubProtocol(JsonHubProtocol json, JsonSerializerOptions payload) : IHubProtocol
{
    private const byte RecordSeparator = 0x1e;

    private readonly ConditionalWeakTable<IInvocationBinder, Searched> searched = new();

    private sealed class Searched
    {
        public SequencePosition Start;
        public long Length;
    }

    /// <summary>Bytes searched for a message's end, in all (for tests: each byte of a message is searched once).</summary>
    internal long BytesSearched;

    public string Name => json.Name;
    public int Version => json.Version;
    public TransferFormat TransferFormat => json.TransferFormat;
    public bool IsVersionSupported(int version) => json.IsVersionSupported(version);
    public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => json.WriteMessage(message, output);
    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => json.GetMessageBytes(message);

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
    {
        var memo = searched.GetOrCreateValue(binder);
        var from = memo.Length > 0 && memo.Length <= input.Length && memo.Start.Equals(input.Start) ? memo.Length : 0;
        var rest = input.Slice(from);
        Interlocked.Add(ref BytesSearched, rest.Length);
        if (rest.PositionOf(RecordSeparator) is not { } end)
        {
            (memo.Start, memo.Length) = (input.Start, input.Length);
            message = null;
            return false;
        }
        memo.Length = 0;
        // One whole message, which SignalR's parser reads as it always does (it finds the same end, within it). Were it
        // ever to decline, the connection would wait forever on a message it already has: closing it is better.
        var whole = input.Slice(input.Start, input.GetPosition(1, end));
        var afterMessage = whole.End;
        try
        {
            if (!json.TryParseMessage(ref whole, binder, out message))
                throw new InvalidDataException("SignalR's JSON protocol did not read a whole message.");
        }
        catch (InvalidDataException) when (DeepInvocationReader.TryRead(input.Slice(input.Start, end), binder, payload) is { } invocation)
        {
            message = invocation;
        }
        input = input.Slice(afterMessage);
        return true;
    }
}

/// <summary>
/// SignalR's protocols by name, as its own resolver serves them, with the JSON protocol resuming its search
/// (<see cref="ResumingJsonHubProtocol"/>). Registered as a service of its own, it is the one SignalR uses whatever
/// registers SignalR after it (the UI's circuits do).
/// </summary>
public sealed class ConsoleHubProtocolResolver : IHubProtocolResolver
{
    private readonly Dictionary<string, IHubProtocol> byName = new(StringComparer.OrdinalIgnoreCase);

    public ConsoleHubProtocolResolver(IEnumerable<IHubProtocol> protocols, IOptions<JsonHubProtocolOptions> json)
    {
        // As SignalR's resolver: the last registered of a name wins.
        foreach (var protocol in protocols)
            byName[protocol.Name] = protocol is JsonHubProtocol signalR
                ? new ResumingJsonHubProtocol(signalR, json.Value.PayloadSerializerOptions)
                : protocol;
        AllProtocols = [.. byName.Values];
    }

    public IReadOnlyList<IHubProtocol> AllProtocols { get; }

    public IHubProtocol? GetProtocol(string protocolName, IReadOnlyList<string>? supportedProtocols) =>
        byName.TryGetValue(protocolName, out var protocol)
        && (supportedProtocols is null || supportedProtocols.Contains(protocolName, StringComparer.OrdinalIgnoreCase))
            ? protocol
            : null;
}
