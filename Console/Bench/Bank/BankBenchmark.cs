using System.Diagnostics;
using ModerationConsole.Hashing;
using NpgsqlTypes;
using ModerationConsole.Bank;

namespace ModerationConsole.Bench;

/// <summary>
/// <c>bench bank [--hashes N] [--queries N]</c>: block-bank lookups with N banked hashes (default 1,000,000, loaded
/// into the scratch database with COPY and into the console's in-memory index the way a console starts): lookups per
/// second through the multi-index against comparing every banked hash, on the same queries, half of them near copies
/// of a banked hash (up to the match distance in flipped bits) and half unrelated. Every near copy must be found and
/// the answers must equal the brute-force ones. Also the batch lookup ingest makes (catch-up query and categories
/// included) and the index's memory.
/// </summary>
public sealed class BankBenchmark : IBenchmark
{
    public string Name => "bank";
    public string Summary => "bank matches/s with 1M banked PDQ hashes, multi-index / brute force (goal ≥ 5)";

    public async Task RunAsync(BenchRun run, CancellationToken ct)
    {
        var count = run.Arguments.TakeIntOption("--hashes", 1000, 10_000_000) ?? 1_000_000;
        var queryCount = run.Arguments.TakeIntOption("--queries", 100, 1_000_000) ?? 20_000;
        var random = new Random(20261125);
        var banked = new PdqHash[count];
        for (var i = 0; i < count; i++) banked[i] = RandomHash(random);
        await SeedAsync(run, banked, ct);

        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        var (services, _) = await run.StartConsoleAsync();
        var bank = services.GetRequiredService<BlockBank>();
        var load = Stopwatch.StartNew();
        await bank.CatchUpAsync(ct);
        load.Stop();
        if (bank.Count != count) throw new InvalidOperationException($"loaded {bank.Count} of {count} hashes");
        var memoryAfter = GC.GetTotalMemory(forceFullCollection: true);
        var distance = bank.Options.BankMatchDistance;
        run.Report.Note($"{count:N0} random 256-bit hashes banked; {queryCount:N0} queries, half near copies (0–{distance} bits flipped), half unrelated; match distance {distance}");
        run.Report.Figure("loading the bank from PostgreSQL", load.Elapsed.TotalSeconds, "s");
        run.Report.Figure("index memory (managed heap growth)", (memoryAfter - memoryBefore) / 1024.0 / 1024.0, "MiB");

        var queries = new PdqHash[queryCount];
        var expected = new long?[queryCount];
        for (var q = 0; q < queryCount; q++)
        {
            if (q % 2 == 0)
            {
                var source = random.Next(count);
                queries[q] = Flip(banked[source], random.Next(distance + 1), random);
                expected[q] = source + 1; // entry ids follow the COPY order
            }
            else queries[q] = RandomHash(random);
        }

        var index = bank.Index;
        var watch = Stopwatch.StartNew();
        var hits = new BankHit?[queryCount];
        for (var q = 0; q < queryCount; q++) hits[q] = index.Match(queries[q], distance);
        var indexed = queryCount / watch.Elapsed.TotalSeconds;
        for (var q = 0; q < queryCount; q += 2)
            if (hits[q] is not { } hit || (hit.EntryId != expected[q] && hit.Distance > queries[q].DistanceTo(banked[expected[q]!.Value - 1])))
                throw new InvalidOperationException($"query {q}: the near copy of entry {expected[q]} was not found");

        // Brute force on a sample: it is the slow side, and its rate does not depend on which queries it gets.
        var sample = Math.Min(queryCount, 400);
        watch.Restart();
        for (var q = 0; q < sample; q++)
            if (index.MatchByScan(queries[q], distance) != hits[q])
                throw new InvalidOperationException($"query {q}: the index and the scan disagree");
        var scanned = sample / watch.Elapsed.TotalSeconds;

        watch.Restart();
        var fingerprints = queries.Select(h => new PdqResult(h, 100)).ToArray();
        foreach (var batch in fingerprints.Chunk(100)) await bank.MatchAsync(batch, ct);
        var asIngest = queryCount / watch.Elapsed.TotalSeconds;

        run.Report.Figure("multi-index lookups", indexed, "matches/s");
        run.Report.Figure("brute-force lookups (every banked hash)", scanned, "matches/s");
        run.Report.Figure("as ingest looks up (batches of 100, catch-up and categories included)", asIngest, "matches/s");
        run.Report.Ratio("multi-index / brute force", indexed, scanned, goal: 5);
    }

    private static async Task SeedAsync(BenchRun run, PdqHash[] hashes, CancellationToken ct)
    {
        await using var connection = await run.OpenConnectionAsync(ct);
        await using (var copy = await connection.BeginBinaryImportAsync(
                         "copy block_bank (pdq, quality, categories, source, note, change_seq) from stdin (format binary)", ct))
        {
            string[] categories = ["sexual"];
            for (var i = 0; i < hashes.Length; i++)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(hashes[i].ToBitString(), NpgsqlDbType.Bit, ct);
                await copy.WriteAsync((short)100, NpgsqlDbType.Smallint, ct);
                await copy.WriteAsync(categories, NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
                await copy.WriteAsync("import", NpgsqlDbType.Text, ct);
                await copy.WriteAsync("bench", NpgsqlDbType.Text, ct);
                await copy.WriteAsync((long)(i + 1), NpgsqlDbType.Bigint, ct);
            }
            await copy.CompleteAsync(ct);
        }
        // As autovacuum would have after a real import: statistics, so lookups by id and change number use their indexes.
        await using var setval = new Npgsql.NpgsqlCommand($"select setval('block_bank_changes', {hashes.Length}); analyze block_bank", connection);
        await setval.ExecuteNonQueryAsync(ct);
    }

    private static PdqHash RandomHash(Random random) =>
        new((ulong)random.NextInt64(), (ulong)random.NextInt64(), (ulong)random.NextInt64(), (ulong)random.NextInt64());

    private static PdqHash Flip(PdqHash hash, int bits, Random random)
    {
        var flipped = new HashSet<int>();
        while (flipped.Count < bits) flipped.Add(random.Next(PdqHash.BitCount));
        foreach (var bit in flipped) hash = hash.FlipBit(bit);
        return hash;
    }
}
