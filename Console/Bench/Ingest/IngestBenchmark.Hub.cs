using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using ModerationConsole.Hashing;
using ModerationConsole.Policy;
using ModerationConsole.Producers;
using ModerationConsole.Simulate;
using ModerationConsole.Ingest;

namespace ModerationConsole.Bench;

// The hub path: producers' connections, their pictures and generations, and one timed phase.
public sealed partial class IngestBenchmark
{
    /// <summary>A producer's open connection to the hub, counting the decision notices the console pushes to it.</summary>
    private sealed class ProducerConnection : IAsyncDisposable
    {
        private int received;

        private ProducerConnection(HubConnection hub)
        {
            Hub = hub;
            hub.On<DecisionNotice>("Decision", _ => Interlocked.Increment(ref received));
        }

        public HubConnection Hub { get; }

        public int Received => Volatile.Read(ref received);

        public static async Task<ProducerConnection> OpenAsync(Uri baseAddress, string key, bool messagePack, CancellationToken ct)
        {
            var builder = new HubConnectionBuilder().WithUrl(new Uri(baseAddress, IngestHub.Path), o => o.Headers[ApiKeys.HeaderName] = key);
            if (messagePack)
                builder.AddMessagePackProtocol(o => o.SerializerOptions = IngestMessagePack.SerializerOptions(new IngestOptions()));
            else
                // As producers in most languages write JSON (SimulatedProducer says why).
                builder.AddJsonProtocol(o => o.PayloadSerializerOptions.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
            var connection = new ProducerConnection(builder.Build());
            await connection.Hub.StartAsync(ct);
            return connection;
        }

        public ValueTask DisposeAsync() => Hub.DisposeAsync();
    }

    /// <summary>
    /// The items in batches of 100, each connection sending its next batch as soon as the last one is answered; timed
    /// until the last answer. Then it waits, untimed, until every connection has received the notice of each decision
    /// the console took automatically (all the producer's connections get every notice), so that pushing them does not
    /// spill into the phase after.
    /// </summary>
    private static async Task<(int Accepted, TimeSpan Elapsed, TimeSpan PushLag)> HubAsync<T>(ProducerConnection[] hubs,
        T[] items, CancellationToken ct)
    {
        var batches = items.Chunk(BatchSize).ToArray();
        var next = -1;
        var receivedBefore = hubs.Select(h => h.Received).ToArray();
        var timer = Stopwatch.StartNew();
        var results = await Task.WhenAll(hubs.Select(async hub =>
        {
            var (accepted, decided) = (0, 0);
            int mine;
            while ((mine = Interlocked.Increment(ref next)) < batches.Length)
            {
                var receipts = await hub.Hub.InvokeAsync<IngestReceipt[]>("SubmitBatch", batches[mine], ct);
                accepted += receipts.Count(r => r.Status == ReceiptStatus.Accepted);
                decided += receipts.Count(r => r.Route is Routes.AutoApproved or Routes.AutoBlocked);
            }
            return (accepted, decided);
        }));
        var elapsed = timer.Elapsed;
        var decisions = results.Sum(r => r.decided);
        var deadline = elapsed + TimeSpan.FromMinutes(2);
        while (hubs.Where((hub, i) => hub.Received - receivedBefore[i] < decisions).Any())
        {
            if (timer.Elapsed > deadline)
                throw new InvalidOperationException($"Two minutes after the last acknowledgement the connections had " +
                    $"{string.Join(", ", hubs.Select((hub, i) => hub.Received - receivedBefore[i]))} of {decisions} decision notices each.");
            await Task.Delay(5, ct);
        }
        return (results.Sum(r => r.accepted), elapsed, timer.Elapsed - elapsed);
    }

    /// <summary>
    /// The same picture as new bytes: a text chunk naming the round, after the header. Decoding and fingerprinting it is
    /// the same work, but to the console (which keeps images by SHA-256) it is a new image, stored like the timed ones.
    /// </summary>
    private static byte[] Restamped(byte[] png, int round)
    {
        const int HeaderLength = 8 + 25; // the signature, then the IHDR chunk
        using var output = new MemoryStream(png.Length + 64);
        output.Write(png.AsSpan(0, HeaderLength));
        SyntheticImages.WriteChunk(output, "tEXt"u8, Encoding.Latin1.GetBytes($"Comment\0bench warm-up round {round}"));
        output.Write(png.AsSpan(HeaderLength));
        return output.ToArray();
    }

    /// <summary>Photo-like ~64 KB PNGs, one per seed; made on every core, as nothing is timed while they are.</summary>
    private static byte[][] Images(int count, int firstSeed) =>
        Enumerable.Range(firstSeed, count).AsParallel().AsOrdered().Select(seed => SyntheticImages.NoisyPng(148, 148, seed)).ToArray();

    /// <summary>Each picture's PDQ hash, as the console computes it.</summary>
    private static PdqResult[] Fingerprints(byte[][] images) =>
        images.AsParallel().AsOrdered()
            .Select(image => ImageFingerprint.TryHash(image) ?? throw new InvalidOperationException("a bench picture did not decode"))
            .ToArray();

    /// <summary>The generations, each with its own generation id, carrying their images as base64 when asked to.</summary>
    private static FlaggedGeneration[] Generations(string prefix, byte[][] images, bool base64) =>
        images.Select((image, i) => new FlaggedGeneration
        {
            GenerationId = $"{prefix}-{i}", UserId = $"user-{i % 997}", Prompt = $"photorealistic portrait, studio light, take {i}",
            Model = "imagegen-xl 2.1", CreatedAt = DateTimeOffset.UtcNow.ToString("O"), Image = base64 ? Convert.ToBase64String(image) : null,
            Scores = new() { ["sexual"] = i % 100 / 100.0, ["violence"] = 0.1 }, Jurisdiction = "DE", UserTier = "free",
        }).ToArray();
}
