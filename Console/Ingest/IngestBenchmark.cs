using System.Diagnostics;
using System.Runtime;
using System.Security.Cryptography;
using Microsoft.AspNetCore.SignalR.Client;
using ModerationConsole.Audit;
using ModerationConsole.Bench;
using ModerationConsole.Producers;
using ModerationConsole.Simulate;
using Npgsql;
using NpgsqlTypes;

namespace ModerationConsole.Ingest;

/// <summary>
/// <c>bench ingest</c>: flagged generations with photo-like ~64 KB PNGs, in batches of 100 over the public hub, against
/// PostgreSQL's binary COPY of the same rows and bytes (image, item, scores, audit entry) into tables shaped like the
/// console's, one transaction per batch, with as many connections as the hub run used.
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
        var (services, baseAddress) = await run.StartConsoleAsync();
        var report = run.Report;
        var key = (await services.GetRequiredService<ProducerStore>().CreateAsync("bench-platform", Actor.Console, ct)).ApiKey;

        var warmup = run.Arguments.TakeIntOption("--warmup", 0, 100_000) ?? 1_000;
        var maxRounds = run.Arguments.TakeIntOption("--warmup-rounds", 1, 1_000) ?? 30;

        // Everything a producer would have ready is built before the clock starts.
        var warmupImages = Images(warmup, firstSeed: 1_000_000);
        var warmupText = warmupImages.Select(Convert.ToBase64String).ToArray();
        var images = Images(count, firstSeed: 0);
        var items = Items("bench", images.Select(Convert.ToBase64String).ToArray());
        var megabytes = images.Sum(i => (long)i.Length) / 1048576.0;
        report.Figure("items prepared", count, $"items, {megabytes:0.0} MiB of images ({images.Average(i => i.Length) / 1024:0.0} KiB each)");

        // A producer keeps its connections open: they are opened once, and both paths first take the same untimed
        // warm-up rows over theirs. The runtime compiles hot code again, optimised, after watching it run (tiered
        // compilation), and on a busy machine that goes on for many seconds: the hub keeps taking the warm-up rows
        // again, under new generation ids, until a round passes with the runtime compiling next to nothing, so the
        // timed part measures the console as it runs for hours rather than its first drafts.
        var hubs = await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => ConnectAsync(baseAddress, key, ct)));
        try
        {
            var warmupItems = Items("warmup", warmupText);
            await HubAsync(hubs, warmupItems, ct);
            await CreateCopyTablesAsync(run, ct);
            await CopyAsync(run, warmupItems, warmupImages, firstItemId: count, connections, ct);
            var (rounds, lastRound) = await WarmUpUntilCompiledAsync(hubs, warmupText, maxRounds, ct);
            report.Figure("warm-up before timing, both paths", warmup, $"items; the hub took them {rounds} more times, " +
                $"until the runtime compiled {lastRound} methods in a round");

            // Each timed phase starts from a checkpoint: ~330 MiB of WAL apiece would otherwise start one part-way
            // through whichever phase happens to cross the threshold, and the figures would measure that instead.
            await run.CheckpointAsync(ct);
            var compiledBefore = JitInfo.GetCompiledMethodCount();
            var hubTimer = Stopwatch.StartNew();
            var accepted = await HubAsync(hubs, items, ct);
            var hubSeconds = hubTimer.Elapsed.TotalSeconds;
            report.Figure("hub: methods the runtime compiled while timed", JitInfo.GetCompiledMethodCount() - compiledBefore, "");
            if (accepted != count) throw new InvalidOperationException($"The hub accepted {accepted} of {count} items.");
            var hubRate = count / hubSeconds;
            report.Figure($"hub: accepted over {connections} connections", hubRate, "items/s");
            report.Figure("hub: throughput", megabytes / hubSeconds, "MiB/s");

            await run.CheckpointAsync(ct);
            var copySeconds = await CopyAsync(run, items, images, firstItemId: 0, connections, ct);
            var copyRate = count / copySeconds;
            report.Figure($"COPY: same rows and bytes over {connections} connections", copyRate, "items/s");
            report.Ratio("hub items/s / COPY items/s", hubRate, copyRate, goal: 0.5);
        }
        finally
        {
            foreach (var hub in hubs) await hub.DisposeAsync();
        }
    }

    /// <summary>Hub rounds of the warm-up rows until one compiles fewer than 20 methods (or <paramref name="maxRounds"/>).</summary>
    private static async Task<(int Rounds, long LastRound)> WarmUpUntilCompiledAsync(HubConnection[] hubs, string[] images, int maxRounds, CancellationToken ct)
    {
        const int Settled = 20;
        var rounds = 0;
        long compiled;
        do
        {
            var before = JitInfo.GetCompiledMethodCount();
            await HubAsync(hubs, Items($"warmup-{++rounds}", images), ct);
            compiled = JitInfo.GetCompiledMethodCount() - before;
        }
        while (compiled >= Settled && rounds < maxRounds);
        return (rounds, compiled);
    }

    private static async Task<HubConnection> ConnectAsync(Uri baseAddress, string key, CancellationToken ct)
    {
        var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(baseAddress, IngestHub.Path), o => o.Headers[ApiKeys.HeaderName] = key)
            .Build();
        await hub.StartAsync(ct);
        return hub;
    }

    /// <summary>The items in batches of 100, each connection sending its next batch as soon as the last one is answered.</summary>
    private static async Task<int> HubAsync(HubConnection[] hubs, FlaggedGeneration[] items, CancellationToken ct)
    {
        var batches = items.Chunk(BatchSize).ToArray();
        var next = -1;
        var results = await Task.WhenAll(hubs.Select(async hub =>
        {
            var accepted = 0;
            int mine;
            while ((mine = Interlocked.Increment(ref next)) < batches.Length)
            {
                var receipts = await hub.InvokeAsync<IngestReceipt[]>("SubmitBatch", batches[mine], ct);
                accepted += receipts.Count(r => r.Status == ReceiptStatus.Accepted);
            }
            return accepted;
        }));
        return results.Sum();
    }

    /// <summary>Photo-like ~64 KB PNGs, one per seed.</summary>
    private static byte[][] Images(int count, int firstSeed) =>
        Enumerable.Range(firstSeed, count).Select(seed => SyntheticImages.NoisyPng(148, 148, seed)).ToArray();

    /// <summary>The generations carrying the images (as base64), each with its own generation id.</summary>
    private static FlaggedGeneration[] Items(string prefix, string[] images) =>
        images.Select((image, i) => new FlaggedGeneration
        {
            GenerationId = $"{prefix}-{i}", UserId = $"user-{i % 997}", Prompt = $"photorealistic portrait, studio light, take {i}",
            Model = "imagegen-xl 2.1", CreatedAt = DateTimeOffset.UtcNow.ToString("O"), Image = image,
            Scores = new() { ["sexual"] = i % 100 / 100.0, ["violence"] = 0.1 }, Jurisdiction = "DE", UserTier = "free",
        }).ToArray();

    /// <summary>Look-alike tables for the COPY baseline: the same columns and indexes, no triggers or foreign keys.</summary>
    private static async Task CreateCopyTablesAsync(BenchRun run, CancellationToken ct)
    {
        await using var setup = await run.OpenConnectionAsync(ct);
        await using var create = new NpgsqlCommand(
            """
            create table copy_images (like images including all);
            create table copy_items (like review_items including all);
            create table copy_scores (like item_scores including all);
            create table copy_audit (like audit_log including all);
            """, setup);
        await create.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The same rows by binary COPY into the look-alike tables; item ids start at <paramref name="firstItemId"/>.</summary>
    private static async Task<double> CopyAsync(BenchRun run, FlaggedGeneration[] items, byte[][] images, long firstItemId, int connections, CancellationToken ct)
    {
        var hashes = images.Select(SHA256.HashData).ToArray();
        var batches = Enumerable.Range(0, items.Length).Chunk(BatchSize).ToArray();
        var next = -1;
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
                    "copy copy_images (sha256, content_type, width, height, byte_length, bytes) from stdin (format binary)", ct))
                {
                    foreach (var i in batch)
                        await copy.WriteRowAsync(ct, hashes[i], "image/png", 148, 148, images[i].Length, images[i]);
                    await copy.CompleteAsync(ct);
                }
                await using (var copy = await connection.BeginBinaryImportAsync(
                    """
                    copy copy_items (producer_id, generation_id, user_id, prompt, model, created_at, image_sha256, jurisdiction,
                                     user_tier, policy_version, route, queue, status, priority, route_categories) from stdin (format binary)
                    """, ct))
                {
                    foreach (var i in batch)
                    {
                        var item = items[i];
                        await copy.StartRowAsync(ct);
                        await copy.WriteAsync(1L, NpgsqlDbType.Bigint, ct);
                        await copy.WriteAsync(item.GenerationId!, NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(item.UserId!, NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(item.Prompt!, NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(item.Model!, NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(DateTime.UtcNow, NpgsqlDbType.TimestampTz, ct);
                        await copy.WriteAsync(hashes[i], NpgsqlDbType.Bytea, ct);
                        await copy.WriteAsync(item.Jurisdiction!, NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(item.UserTier!, NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(1, NpgsqlDbType.Integer, ct);
                        await copy.WriteAsync("queued", NpgsqlDbType.Text, ct);
                        await copy.WriteAsync("standard", NpgsqlDbType.Text, ct);
                        await copy.WriteAsync("pending", NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(60, NpgsqlDbType.Integer, ct);
                        await copy.WriteAsync(new[] { "sexual" }, NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
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
                    "copy copy_audit (actor_kind, actor_id, action, item_id, details) from stdin (format binary)", ct))
                {
                    foreach (var i in batch)
                    {
                        await copy.StartRowAsync(ct);
                        await copy.WriteAsync("producer", NpgsqlDbType.Text, ct);
                        await copy.WriteAsync("1", NpgsqlDbType.Text, ct);
                        await copy.WriteAsync("item.ingested", NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(firstItemId + i, NpgsqlDbType.Bigint, ct);
                        await copy.WriteAsync($$"""{"generationId":"{{items[i].GenerationId}}","route":"queued"}""", NpgsqlDbType.Jsonb, ct);
                    }
                    await copy.CompleteAsync(ct);
                }
                await transaction.CommitAsync(ct);
            }
        }));
        return timer.Elapsed.TotalSeconds;
    }
}
