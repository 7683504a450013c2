using System.Buffers;
using System.Diagnostics;
using System.Runtime;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;
using ModerationConsole.Audit;
using ModerationConsole.Bench;
using ModerationConsole.Decisions;
using ModerationConsole.Hashing;
using ModerationConsole.Policy;
using ModerationConsole.Producers;
using ModerationConsole.Simulate;
using Npgsql;
using NpgsqlTypes;
using SkiaSharp;

namespace ModerationConsole.Ingest;

/// <summary>
/// <c>bench ingest</c>: flagged generations with photo-like ~64 KB PNGs, in batches of 100 over the public hub, against
/// PostgreSQL's binary COPY of the same rows and bytes into tables shaped like the console's, one transaction per batch,
/// with as many connections as the hub run used. The COPY rows are the ones the console writes: the image with its PDQ
/// hash and the 16 band keys of the near-duplicate index, the item with its route under the active policy and its
/// prompt's shape, its scores, the decision when the policy decides it automatically, and both audit entries. They are
/// worked out before the clock starts: COPY measures storing them, not working them out. Left out: a block's strike,
/// which changes a counter the user already has (COPY cannot update), so COPY does slightly less than the console.
/// </summary>
public sealed class IngestBenchmark : IBenchmark
{
    private const int BatchSize = 100;

    public string Name => "ingest";
    public string Summary => "accepted items/s over the SignalR hub (batches of 100, ~64 KB images), against raw COPY of the same rows and bytes; goal ≥ 0.5";

    public async Task RunAsync(BenchRun run, CancellationToken ct)
    {
        var count = run.Arguments.TakeIntOption("--items", BatchSize, 1_000_000) ?? 5_000;
        var connections = run.Arguments.TakeIntOption("--connections", 1, 64) ?? 4;
        // Single phases on a shared 2-core machine spread by ±20% (host noise: the same path 743 and 979 items/s in one
        // run), so each path's median is taken over six rounds, three with each path first.
        var rounds = run.Arguments.TakeIntOption("--rounds", 1, 20) ?? 6;
        // MessagePack sends each image as its bytes.
        var messagePack = run.Arguments.TakeMessagePackProtocol();
        var (services, baseAddress) = await run.StartConsoleAsync();
        var report = run.Report;
        var key = (await services.GetRequiredService<ProducerStore>().CreateAsync("bench-platform", Actor.Console, ct)).ApiKey;
        var policy = await services.GetRequiredService<PolicyStore>().LoadActiveAsync(ct);

        var warmup = run.Arguments.TakeIntOption("--warmup", 0, 100_000) ?? 1_000;
        var maxRounds = run.Arguments.TakeIntOption("--warmup-rounds", 1, 1_000) ?? 30;
        var warmupImages = Images(warmup, firstSeed: WarmupSeeds);
        ReportFingerprintCost(report, warmupImages);
        ReportMessageEndSearch(report);

        // A producer keeps its connections open: they are opened once, and both paths first take the same untimed
        // warm-up rows over theirs. The runtime compiles hot code again, optimised, after watching it run (tiered
        // compilation), and on a busy machine that goes on for many seconds: the hub keeps taking the warm-up rows
        // again, under new generation ids and as new image bytes (Restamped), until a round passes with the runtime
        // compiling next to nothing, so the timed part measures the console as it runs for hours rather than its first
        // drafts. Repeated bytes would be a repeat image to the console, whose row PostgreSQL skips: rounds that store no
        // image are not the work the timed rounds do.
        var hubs = await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => ProducerConnection.OpenAsync(baseAddress, key, messagePack, ct)));
        // The items as sent: with their images as base64 over JSON, as maps with the images' bytes over MessagePack.
        Task<(int Accepted, TimeSpan Elapsed, TimeSpan PushLag)> Submit(FlaggedGeneration[] items, byte[][] images) => messagePack
            ? HubAsync(hubs, items.Select((item, i) => IngestMessagePack.Map(item, images[i])).ToArray(), ct)
            : HubAsync(hubs, items, ct);
        FlaggedGeneration[] Items(string prefix, byte[][] images) => Generations(prefix, images, base64: !messagePack);
        try
        {
            var warmupItems = Items("warmup", warmupImages);
            await Submit(warmupItems, warmupImages);
            await CreateCopyTablesAsync(run, ct);
            await CopyAsync(run, policy, warmupItems, warmupImages, Fingerprints(warmupImages), firstItemId: 0, connections, ct);
            var (warmupRounds, lastRound) = await BenchWarmUp.UntilCompiledAsync(async n =>
            {
                var restamped = warmupImages.Select(i => Restamped(i, n)).ToArray();
                await Submit(Items($"warmup-{n}", restamped), restamped);
                return true;
            }, maxRounds);
            report.Figure("warm-up before timing, both paths", warmup, $"items; the hub took them {warmupRounds} more times as new images, " +
                $"until the runtime compiled {lastRound} methods in a round");

            // The two paths take turns, each round with new pictures and ids, and which goes first alternates: a
            // shared machine's slow minute, or the tables growing, then weighs on both rather than on one.
            var (hubRates, copyRates, megabytes, compiled) = (new List<double>(), new List<double>(), 0.0, 0L);
            // Machine CPU per item in ms, and the cores it kept busy, each round's (see MachineCpu).
            var (hubCpu, copyCpu, hubBusy, copyBusy) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
            // WAL written per item, in KiB: what each path made PostgreSQL log for the same rows.
            var (hubWal, copyWal) = (new List<double>(), new List<double>());
            // How long after a hub phase's last acknowledgement every connection had every decision notice of the phase.
            var pushLags = new List<double>();
            var rowsBefore = await RowCountsAsync(run, ct);
            for (var round = 0; round < rounds; round++)
            {
                var images = Images(count, firstSeed: round * count);
                var items = Items($"bench-{round}", images);
                var fingerprints = Fingerprints(images);
                megabytes = images.Sum(i => (long)i.Length) / 1048576.0;
                if (round == 0)
                {
                    report.Figure("items per round", count, $"items, {megabytes:0.0} MiB of images ({images.Average(i => i.Length) / 1024:0.0} KiB each)");
                    report.Note(messagePack ? "hub protocol: MessagePack, images as binary (--protocol messagepack)" : "hub protocol: JSON, images as base64");
                }
                double hubRate = 0, copyRate = 0;
                foreach (var path in round % 2 == 0 ? new[] { "hub", "copy" } : ["copy", "hub"])
                {
                    await StartPhaseAsync(run, ct);
                    if (path == "hub")
                    {
                        var compiledBefore = JitInfo.GetCompiledMethodCount();
                        var walBefore = await WalPositionAsync(run, ct);
                        var busyBefore = MachineCpu.Busy();
                        var (accepted, elapsed, pushLag) = await Submit(items, images);
                        hubRate = count / elapsed.TotalSeconds;
                        hubCpu.Add((MachineCpu.Busy() - busyBefore).TotalMilliseconds / count);
                        pushLags.Add(pushLag.TotalMilliseconds);
                        hubWal.Add((await WalPositionAsync(run, ct) - walBefore) / 1024.0 / count);
                        compiled += JitInfo.GetCompiledMethodCount() - compiledBefore;
                        if (accepted != count) throw new InvalidOperationException($"The hub accepted {accepted} of {count} items.");
                    }
                    else
                    {
                        var walBefore = await WalPositionAsync(run, ct);
                        var (seconds, busy) = await CopyAsync(run, policy, items, images, fingerprints, firstItemId: warmup + (long)round * count,
                            connections, ct);
                        copyRate = count / seconds;
                        copyCpu.Add(busy.TotalMilliseconds / count);
                        copyWal.Add((await WalPositionAsync(run, ct) - walBefore) / 1024.0 / count);
                    }
                }
                hubRates.Add(hubRate);
                copyRates.Add(copyRate);
                hubBusy.Add(BusyCores(hubCpu[^1], hubRate));
                copyBusy.Add(BusyCores(copyCpu[^1], copyRate));
                report.Note($"round {round + 1} ({(round % 2 == 0 ? "hub first" : "COPY first")}): hub {hubRate:N0} items/s, COPY {copyRate:N0} items/s, " +
                    $"ratio {hubRate / copyRate:0.000}; decision notices all pushed {pushLags[^1]:N0} ms after the last acknowledgement; " +
                    $"WAL per item: hub {hubWal[^1]:0.0} KiB, COPY {copyWal[^1]:0.0} KiB" + (MachineCpu.Available
                        ? $"; machine CPU per item: hub {hubCpu[^1]:0.00} ms ({Cores(hubBusy[^1])}), COPY {copyCpu[^1]:0.00} ms ({Cores(copyBusy[^1])})"
                        : ""));
            }

            ReportSameRows(report, rowsBefore, await RowCountsAsync(run, ct));
            var hubMedian = Median(hubRates);
            var copyMedian = Median(copyRates);
            report.Figure("hub: methods the runtime compiled while timed", compiled, "");
            report.Figure("hub: accepted, median", hubMedian, $"items/s over {connections} connections");
            report.Figure("hub: throughput, median", megabytes * hubMedian / count, "MiB/s");
            report.Figure("COPY: same rows and bytes, median", copyMedian, $"items/s over {connections} connections");
            report.Ratio("hub items/s / COPY items/s, medians", hubMedian, copyMedian, goal: 0.5);
            report.Figure("hub: decision notices all pushed, median", Median(pushLags), "ms after a phase's last acknowledgement");
            report.Figure("hub: WAL per item, median", Median(hubWal), "KiB");
            report.Figure("COPY: WAL per item, median", Median(copyWal), "KiB");
            // What each path costs the machine per item (all processes), and so whether it was bound by CPU.
            if (MachineCpu.Available)
            {
                // Cores busy is each round's CPU per item times its own rate; the medians of the two may come from different rounds.
                report.Figure("hub: machine CPU per item, median", Median(hubCpu), $"ms ({Cores(Median(hubBusy))})");
                report.Figure("COPY: machine CPU per item, median", Median(copyCpu), $"ms ({Cores(Median(copyBusy))})");
            }
        }
        finally
        {
            foreach (var hub in hubs) await hub.DisposeAsync();
        }
    }

    // Far from the timed rounds' seeds (0 up to rounds × items), so no warm-up picture is stored again as a new one.
    private const int WarmupSeeds = int.MaxValue / 2;

    /// <summary>
    /// Each timed phase starts after a VACUUM (ANALYZE) of the database and a CHECKPOINT. The rows each phase writes
    /// (5,000 items, ~330 MiB) are enough for autovacuum to vacuum and analyze the tables written, and it wakes once a
    /// minute: whichever phase it fell in did that work as well (seen: 7 s of vacuuming the console's and the COPY
    /// tables inside one hub phase). The checkpoint keeps ~330 MiB of WAL apiece from starting one part-way through
    /// whichever phase crosses the threshold.
    /// Then a full, compacting collection: the console shares this process with the bench, which holds each round's
    /// pictures and their base64 (~1.2 GB) until the next round's replace them, a heap no console serving producers would
    /// have. Without it, a hub phase that followed a COPY phase was about a quarter slower than one that went first
    /// (five runs: medians 661 and 877 items/s; a pause instead did not help); with it, no such penalty was left.
    /// </summary>
    private static async Task StartPhaseAsync(BenchRun run, CancellationToken ct)
    {
        await run.StartPhaseAsync("vacuum (analyze)", ct);
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    /// <summary>The server's WAL position in bytes: the difference across a phase is the WAL it wrote.</summary>
    private static async Task<long> WalPositionAsync(BenchRun run, CancellationToken ct)
    {
        await using var connection = await run.OpenConnectionAsync(ct);
        await using var position = new NpgsqlCommand("select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint", connection);
        return (long)(await position.ExecuteScalarAsync(ct))!;
    }

    private static double BusyCores(double cpuMsPerItem, double itemsPerSecond) => cpuMsPerItem * itemsPerSecond / 1000;

    private static string Cores(double busy) => $"{busy:0.0} of {Environment.ProcessorCount} cores busy";

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

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
        var ours = Milliseconds(new ResumingJsonHubProtocol(signalR));
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

    /// <summary>Each console table the hub writes, with its look-alike that COPY writes.</summary>
    private static readonly (string Console, string Copy)[] Tables =
    [
        ("images", "copy_images"), ("review_items", "copy_items"), ("item_scores", "copy_scores"),
        ("decisions", "copy_decisions"), ("audit_log", "copy_audit"),
    ];

    private static async Task<long[]> RowCountsAsync(BenchRun run, CancellationToken ct)
    {
        await using var connection = await run.OpenConnectionAsync(ct);
        await using var count = new NpgsqlCommand(
            "select " + string.Join(", ", Tables.SelectMany(t => new[] { t.Console, t.Copy }).Select(t => $"(select count(*) from {t})")),
            connection);
        await using var reader = await count.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return Enumerable.Range(0, reader.FieldCount).Select(reader.GetInt64).ToArray();
    }

    /// <summary>
    /// The rows each path wrote in the timed rounds, table by table; the comparison is void unless they are the same, so
    /// a difference stops the bench.
    /// </summary>
    private static void ReportSameRows(BenchReport report, long[] before, long[] after)
    {
        var written = after.Zip(before, (a, b) => a - b).ToArray();
        var tables = Tables.Select((t, n) => (t.Console, Hub: written[2 * n], Copy: written[2 * n + 1])).ToArray();
        report.Note("rows written while timed, hub = COPY: " + string.Join(", ", tables.Select(t => $"{t.Console} {t.Hub:N0}")));
        if (tables.FirstOrDefault(t => t.Hub != t.Copy) is { Console: not null } differs)
            throw new InvalidOperationException(
                $"The COPY baseline wrote {differs.Copy:N0} rows of {differs.Console} while timed, the hub {differs.Hub:N0}: not the same rows.");
    }

    /// <summary>Look-alike tables for the COPY baseline: the same columns and indexes, no triggers or foreign keys.</summary>
    private static async Task CreateCopyTablesAsync(BenchRun run, CancellationToken ct)
    {
        await using var setup = await run.OpenConnectionAsync(ct);
        await using var create = new NpgsqlCommand(
            """
            create table copy_images (like images including all);
            create table copy_items (like review_items including all);
            create table copy_scores (like item_scores including all);
            create table copy_decisions (like decisions including all);
            create table copy_audit (like audit_log including all);
            """, setup);
        await create.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The same rows by binary COPY into the look-alike tables; item ids start at <paramref name="firstItemId"/>. What the
    /// console works out per item before it writes (the image's hashes, the route under the active policy, the automatic
    /// decision and both audit entries) is worked out here before the clock starts.
    /// </summary>
    private static async Task<(double Seconds, TimeSpan MachineCpu)> CopyAsync(BenchRun run, ActivePolicy policy, FlaggedGeneration[] items,
        byte[][] images, PdqResult[] fingerprints, long firstItemId, int connections, CancellationToken ct)
    {
        var hashes = images.Select(SHA256.HashData).ToArray();
        var pdqs = fingerprints.Select(f => f.Hash.ToBitString()).ToArray();
        var bands = fingerprints.Select(f => f.Hash.BandKeys()).ToArray();
        var shapes = items.Select(i => PromptShape.Of(i.Prompt!)).ToArray();
        var routes = items.Select(i => Router.Route(policy.Document, new RouteInput(i.Scores!, null, i.Jurisdiction, i.UserTier))).ToArray();
        var ingested = items.Select((item, i) =>
            IngestStore.AuditDetails(item.GenerationId!, hashes[i], policy.Version, routes[i], fingerprints[i], null)).ToArray();
        var decisions = routes.Select((route, i) => route.IsAutomaticDecision
            ? PendingDecision.Automatic(firstItemId + i, CopyProducerId, items[i].UserId!, route, policy.Document)
            : null).ToArray();
        // The console's entry is its details with the new decision's id in front; here the id is the item's, a number as long.
        var decided = decisions.Select((d, i) => d is null ? null : $"{{\"decisionId\":{firstItemId + i},{DecisionWriter.AuditDetails(d)[1..]}")
            .ToArray();
        var producer = Actor.Producer(CopyProducerId);
        var batches = Enumerable.Range(0, items.Length).Chunk(BatchSize).ToArray();
        var next = -1;
        var busyBefore = MachineCpu.Busy();
        var timer = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            await using var connection = await run.OpenConnectionAsync(ct);
            int mine;
            while ((mine = Interlocked.Increment(ref next)) < batches.Length)
            {
                await using var transaction = await connection.BeginTransactionAsync(ct);
                var batch = batches[mine];
                await using (var copy = await connection.BeginBinaryImportAsync(
                    """
                    copy copy_images (sha256, content_type, width, height, byte_length, bytes, pdq, pdq_quality, pdq_bands)
                    from stdin (format binary)
                    """, ct))
                {
                    foreach (var i in batch)
                    {
                        await copy.StartRowAsync(ct);
                        await copy.WriteAsync(hashes[i], NpgsqlDbType.Bytea, ct);
                        await copy.WriteAsync("image/png", NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(148, NpgsqlDbType.Integer, ct);
                        await copy.WriteAsync(148, NpgsqlDbType.Integer, ct);
                        await copy.WriteAsync(images[i].Length, NpgsqlDbType.Integer, ct);
                        await copy.WriteAsync(images[i], NpgsqlDbType.Bytea, ct);
                        await copy.WriteAsync(pdqs[i], NpgsqlDbType.Bit, ct);
                        await copy.WriteAsync((short)fingerprints[i].Quality, NpgsqlDbType.Smallint, ct);
                        await copy.WriteAsync(bands[i], NpgsqlDbType.Array | NpgsqlDbType.Integer, ct);
                    }
                    await copy.CompleteAsync(ct);
                }
                await using (var copy = await connection.BeginBinaryImportAsync(
                    """
                    copy copy_items (producer_id, generation_id, user_id, prompt, model, created_at, image_sha256, jurisdiction,
                                     user_tier, policy_version, route, queue, status, priority, route_categories, prompt_shape)
                    from stdin (format binary)
                    """, ct))
                {
                    foreach (var i in batch)
                    {
                        var item = items[i];
                        var route = routes[i];
                        await copy.StartRowAsync(ct);
                        await copy.WriteAsync(CopyProducerId, NpgsqlDbType.Bigint, ct);
                        await copy.WriteAsync(item.GenerationId!, NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(item.UserId!, NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(item.Prompt!, NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(item.Model!, NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(DateTime.UtcNow, NpgsqlDbType.TimestampTz, ct);
                        await copy.WriteAsync(hashes[i], NpgsqlDbType.Bytea, ct);
                        await copy.WriteAsync(item.Jurisdiction!, NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(item.UserTier!, NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(policy.Version, NpgsqlDbType.Integer, ct);
                        await copy.WriteAsync(route.Route, NpgsqlDbType.Text, ct);
                        if (route.Queue is { } queue) await copy.WriteAsync(queue, NpgsqlDbType.Text, ct);
                        else await copy.WriteNullAsync(ct);
                        await copy.WriteAsync(route.IsAutomaticDecision ? "decided" : "pending", NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(route.Priority, NpgsqlDbType.Integer, ct);
                        await copy.WriteAsync(route.Categories.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
                        if (shapes[i] is { } shape) await copy.WriteAsync(shape, NpgsqlDbType.Bigint, ct);
                        else await copy.WriteNullAsync(ct);
                    }
                    await copy.CompleteAsync(ct);
                }
                await using (var copy = await connection.BeginBinaryImportAsync(
                    "copy copy_scores (item_id, source, category, score) from stdin (format binary)", ct))
                {
                    foreach (var i in batch)
                        foreach (var (category, score) in items[i].Scores!)
                            await copy.WriteRowAsync(ct, firstItemId + i, "upstream", category, score);
                    await copy.CompleteAsync(ct);
                }
                await using (var copy = await connection.BeginBinaryImportAsync(
                    "copy copy_decisions (item_id, producer_id, decision, categories, reason, automated) from stdin (format binary)", ct))
                {
                    foreach (var decision in batch.Select(i => decisions[i]).OfType<PendingDecision>())
                    {
                        await copy.StartRowAsync(ct);
                        await copy.WriteAsync(decision.ItemId, NpgsqlDbType.Bigint, ct);
                        await copy.WriteAsync(decision.ProducerId, NpgsqlDbType.Bigint, ct);
                        await copy.WriteAsync(decision.Decision, NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(decision.Categories.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(decision.Reason, NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(true, NpgsqlDbType.Boolean, ct);
                    }
                    await copy.CompleteAsync(ct);
                }
                // The console's audit entries, in its order: each item's ingest entry, then each automatic decision's.
                await using (var copy = await connection.BeginBinaryImportAsync(
                    "copy copy_audit (actor_kind, actor_id, action, item_id, details) from stdin (format binary)", ct))
                {
                    async Task WriteEntry(Actor actor, string action, long itemId, string details)
                    {
                        await copy.StartRowAsync(ct);
                        await copy.WriteAsync(actor.KindText, NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(actor.Id, NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(action, NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(itemId, NpgsqlDbType.Bigint, ct);
                        await copy.WriteAsync(details, NpgsqlDbType.Jsonb, ct);
                    }
                    foreach (var i in batch)
                        await WriteEntry(producer, AuditActions.ItemIngested, firstItemId + i, ingested[i]);
                    foreach (var i in batch)
                        if (decided[i] is { } details)
                            await WriteEntry(Actor.Console, AuditActions.ItemDecided, firstItemId + i, details);
                    await copy.CompleteAsync(ct);
                }
                await transaction.CommitAsync(ct);
            }
        }));
        return (timer.Elapsed.TotalSeconds, MachineCpu.Busy() - busyBefore);
    }

    private const long CopyProducerId = 1;
}
