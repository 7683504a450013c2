using System.Buffers;
using System.Runtime;
using ModerationConsole.Audit;
using ModerationConsole.Policy;
using ModerationConsole.Producers;
using Npgsql;
using ModerationConsole.Ingest;

namespace ModerationConsole.Bench;

/// <summary>
/// <c>bench ingest</c>: flagged generations with photo-like ~64 KB PNGs, in batches of 100 over the public hub, against
/// PostgreSQL's binary COPY of the same rows and bytes into tables shaped like the console's, one transaction per batch,
/// with as many connections as the hub run used. The COPY rows are the ones the console writes: the image with its PDQ
/// hash and the 16 band keys of the near-duplicate index, the item with its route under the active policy and its
/// prompt's shape, its scores, the decision when the policy decides it automatically, and both audit entries. They are
/// worked out before the clock starts: COPY measures storing them, not working them out. Left out: a block's strike and
/// what the enforcement ladder makes of it (actions on accounts, their audit entries and notices), which change what
/// the user already has (COPY cannot update), so COPY does slightly less than the console.
/// </summary>
public sealed partial class IngestBenchmark : IBenchmark
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
}
