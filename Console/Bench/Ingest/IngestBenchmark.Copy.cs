using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using ModerationConsole.Audit;
using ModerationConsole.Decisions;
using ModerationConsole.Hashing;
using ModerationConsole.Policy;
using Npgsql;
using NpgsqlTypes;
using ModerationConsole.Ingest;

namespace ModerationConsole.Bench;

// The baseline: binary COPY of the rows the console writes, into look-alike tables, and the check that both wrote as many.
public sealed partial class IngestBenchmark
{
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
            "select " + string.Join(", ", Tables.SelectMany(t => new[] { t.Console, t.Copy }).Select(t => $"(select count(*) from {t}{CountedOnly(t)})")),
            connection);
        await using var reader = await count.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return Enumerable.Range(0, reader.FieldCount).Select(reader.GetInt64).ToArray();
    }

    /// <summary>The enforcement ladder's audit entries are the console's alone (COPY writes no strikes or actions): not counted.</summary>
    private static string CountedOnly(string table) => table == "audit_log" ? " where action not like 'enforcement.%'" : "";

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
