using System.Buffers;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;
using ModerationConsole.Simulate;
using ModerationConsole.Ingest;

namespace ModerationConsole.Bench;

// Costs printed beside the ratio: the hub parser's search for a message's end, and the fingerprint per picture.
public sealed partial class IngestBenchmark
{
    /// <summary>
    /// What finding the end of a batch's JSON message costs when it arrives in 4-KB reads, as over a real network:
    /// SignalR's JSON protocol searches the whole buffered message again on every read, the console's resumes
    /// (<see cref="ResumingJsonHubProtocol"/>). Loopback, as in the timed rounds, delivers in far larger reads.
    /// </summary>
    private static void ReportMessageEndSearch(BenchReport report)
    {
        var signalR = new JsonHubProtocol(Options.Create(new JsonHubProtocolOptions()));
        // A batch of 100 bench pictures is ~9 MB of JSON; one string argument of that size is read alike by both.
        var message = Encoding.UTF8.GetBytes(
            "{\"type\":1,\"invocationId\":\"1\",\"target\":\"SubmitBatch\",\"arguments\":[\"" + new string('A', 9_000_000) + "\"]}\u001e");
        double Milliseconds(IHubProtocol protocol)
        {
            var timer = Stopwatch.StartNew();
            if (ReadInPieces(protocol, message, read: 4096, new StringArgument()).Count != 1) throw new InvalidOperationException("the message was not read");
            return timer.Elapsed.TotalMilliseconds;
        }
        Milliseconds(signalR);
        var theirs = Milliseconds(signalR);
        var ours = Milliseconds(new ResumingJsonHubProtocol(signalR, new System.Text.Json.JsonSerializerOptions()));
        report.Figure("reading a 9-MB JSON message that arrives in 4-KB reads", ours,
            $"ms (SignalR's JSON protocol: {theirs:N0} ms, {theirs / ours:0.0}× slower)");
    }

    /// <summary>
    /// Feeds <paramref name="stream"/> to <paramref name="protocol"/> <paramref name="read"/> bytes at a time, as
    /// SignalR's connection handler does: the buffer keeps what no message has consumed and grows by each read.
    /// </summary>
    internal static List<HubMessage> ReadInPieces(IHubProtocol protocol, byte[] stream, int read, IInvocationBinder binder)
    {
        var messages = new List<HubMessage>();
        var consumed = 0;
        for (var received = Math.Min(read, stream.Length); ; received = Math.Min(received + read, stream.Length))
        {
            var buffer = new ReadOnlySequence<byte>(stream, consumed, received - consumed);
            while (protocol.TryParseMessage(ref buffer, binder, out var message)) messages.Add(message);
            consumed = received - (int)buffer.Length;
            if (received == stream.Length) return messages;
        }
    }

    /// <summary>Binds every invocation to one string argument.</summary>
    internal sealed class StringArgument : IInvocationBinder
    {
        public IReadOnlyList<Type> GetParameterTypes(string methodName) => [typeof(string)];
        public Type GetReturnType(string invocationId) => typeof(object);
        public Type GetStreamItemType(string streamId) => typeof(object);
    }

    /// <summary>
    /// Decoding and hashing each image is the hub's largest cost. Per picture, one thread: the console's fingerprint
    /// (its own PNG decoder) against Skia decoding,
    /// on this run's pictures and on 1024×1024 PNGs of the size generators write.
    /// </summary>
    private static void ReportFingerprintCost(BenchReport report, byte[][] pictures)
    {
        var generatorSize = Enumerable.Range(0, 12).Select(seed => SyntheticImages.Png(1024, 1024, seed)).ToArray();
        foreach (var (name, set) in new[] { ("bench pictures", pictures), ("1024×1024 PNGs", generatorSize) })
        {
            var console = MillisecondsPerPicture(set, png => Hashing.ImageFingerprint.TryHash(png) is not null);
            var skia = MillisecondsPerPicture(set, SkiaFingerprint);
            report.Figure($"fingerprint per picture, {name}", console, $"ms (all in Skia: {skia:0.00} ms, {skia / console:0.0}× slower)");
        }
    }

    private static double MillisecondsPerPicture(byte[][] pictures, Func<byte[], bool> fingerprint)
    {
        for (var i = 0; i < 100; i++) fingerprint(pictures[i % pictures.Length]); // warm-up
        var timer = Stopwatch.StartNew();
        foreach (var picture in pictures)
            if (!fingerprint(picture)) throw new InvalidOperationException("a bench picture did not decode");
        return timer.Elapsed.TotalMilliseconds / pictures.Length;
    }

    /// <summary>The same fingerprint with Skia decoding every picture: what the console's own PNG decoder saves.</summary>
    private static bool SkiaFingerprint(byte[] png)
    {
        using var decoded = Imaging.RgbaBitmap.DecodeWithSkia(png);
        return decoded is not null && Hashing.Pdq.FromRgba(decoded.GetPixelSpan(), decoded.Height, decoded.Width).Quality >= 0;
    }
}
