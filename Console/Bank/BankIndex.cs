// Hand-written: multi-index hashing over a million PDQ hashes, 6.9–7.5× brute force (bench bank); no maintained .NET library does this.
using ModerationConsole.Hashing;

namespace ModerationConsole.Bank;

/// <summary>The closest banked hash to a query, within the distance asked for.</summary>
public readonly record struct BankHit(long EntryId, int Distance);

/// <summary>
/// Banked PDQ hashes in memory, searched by multi-index hashing: each hash is filed under its 16 sixteen-bit bands,
/// and a query within distance d looks only in the buckets within ⌊d/16⌋ bits of its own bands (the pigeonhole
/// principle guarantees a true match shares one), then checks the candidates it finds: about N/241 of N hashes at
/// d = 31. The buckets are one flat array per band (offsets and slots, built by counting sort), so a lookup reads a
/// few hundred short runs instead of chasing a million small arrays; hashes added since the last build sit in a short
/// list that is scanned, and the buckets are rebuilt when it grows. Many readers, one writer.
/// </summary>
public sealed class BankIndex
{
    private const int Bands = 16;
    private const int BucketsPerBand = 1 << 16;
    /// <summary>Hashes added since the last build are scanned; past this many the buckets are rebuilt.</summary>
    private const int RecentLimit = 4096;

    private readonly ReaderWriterLockSlim gate = new();
    private PdqHash[] hashes = new PdqHash[1024];
    private long[] entryIds = new long[1024];
    private bool[] removed = new bool[1024];
    private int count;
    private int activeCount;

    // Bucket b of band k holds slots[k][offsets[k][b] .. offsets[k][b + 1]); slots below `built` are in the buckets.
    private readonly int[][] offsets = Enumerable.Range(0, Bands).Select(_ => new int[BucketsPerBand + 1]).ToArray();
    private readonly int[][] slots = Enumerable.Range(0, Bands).Select(_ => Array.Empty<int>()).ToArray();
    private int built;

    /// <summary>Active (not removed) entries.</summary>
    public int Count
    {
        get { gate.EnterReadLock(); try { return activeCount; } finally { gate.ExitReadLock(); } }
    }

    /// <summary>Adds an entry; ids must grow from one call to the next, and an id already present changes nothing.</summary>
    public void Add(long entryId, PdqHash hash) => AddRange([(entryId, hash)]);

    /// <summary>Adds many entries at once (loading the bank), rebuilding the buckets at most once.</summary>
    public void AddRange(IReadOnlyList<(long EntryId, PdqHash Hash)> entries)
    {
        gate.EnterWriteLock();
        try
        {
            foreach (var (entryId, hash) in entries)
            {
                // Entry ids only grow (the bank hands them out under its lock, in change order): a repeat is a no-op.
                if (count > 0 && entryId <= entryIds[count - 1]) continue;
                if (count == hashes.Length) Grow();
                var slot = count++;
                hashes[slot] = hash;
                entryIds[slot] = entryId;
                activeCount++;
            }
            if (count - built > RecentLimit) Build();
        }
        finally { gate.ExitWriteLock(); }
    }

    /// <summary>Takes an entry out of matching (its slot stays, unused: removals are rare and a rebuild is a restart).</summary>
    public void Remove(long entryId)
    {
        gate.EnterWriteLock();
        try
        {
            var slot = Array.BinarySearch(entryIds, 0, count, entryId);
            if (slot >= 0 && !removed[slot])
            {
                removed[slot] = true;
                activeCount--;
            }
        }
        finally { gate.ExitWriteLock(); }
    }

    /// <summary>The closest active entry within <paramref name="maxDistance"/> (0–63), or null; ties go to the oldest entry.</summary>
    public BankHit? Match(PdqHash query, int maxDistance)
    {
        if (maxDistance is < 0 or > 63) throw new ArgumentOutOfRangeException(nameof(maxDistance), "A bank distance is 0–63.");
        var radius = maxDistance / Bands;
        var best = new Best();
        Span<int> neighbours = stackalloc int[BandNeighbourhood.MaxCount];
        gate.EnterReadLock();
        try
        {
            for (var band = 0; band < Bands; band++)
            {
                var bandOffsets = offsets[band];
                var bandSlots = slots[band];
                foreach (var bucket in neighbours[..BandNeighbourhood.Fill(query.Band(band), radius, neighbours)])
                    for (int i = bandOffsets[bucket], end = bandOffsets[bucket + 1]; i < end; i++) Consider(query, bandSlots[i], ref best);
            }
            for (var slot = built; slot < count; slot++) Consider(query, slot, ref best);
            return best.Slot >= 0 && best.Distance <= maxDistance ? new BankHit(entryIds[best.Slot], best.Distance) : null;
        }
        finally { gate.ExitReadLock(); }
    }

    /// <summary>The same answer by comparing against every entry: the benchmark's baseline and the tests' oracle.</summary>
    public BankHit? MatchByScan(PdqHash query, int maxDistance)
    {
        gate.EnterReadLock();
        try
        {
            var best = new Best();
            for (var slot = 0; slot < count; slot++) Consider(query, slot, ref best);
            return best.Slot >= 0 && best.Distance <= maxDistance ? new BankHit(entryIds[best.Slot], best.Distance) : null;
        }
        finally { gate.ExitReadLock(); }
    }

    private struct Best()
    {
        public int Slot = -1;
        public int Distance = int.MaxValue;
    }

    private void Consider(PdqHash query, int slot, ref Best best)
    {
        if (removed[slot]) return;
        var distance = query.DistanceTo(hashes[slot]);
        if (distance < best.Distance || (distance == best.Distance && slot < best.Slot))
        {
            best.Distance = distance;
            best.Slot = slot;
        }
    }

    /// <summary>Files every hash into its 16 bands by counting sort: one pass to count, one to place.</summary>
    private void Build()
    {
        for (var band = 0; band < Bands; band++)
        {
            var bandOffsets = offsets[band];
            Array.Clear(bandOffsets);
            for (var slot = 0; slot < count; slot++) bandOffsets[hashes[slot].Band(band) + 1]++;
            for (var bucket = 0; bucket < BucketsPerBand; bucket++) bandOffsets[bucket + 1] += bandOffsets[bucket];
            var next = new int[BucketsPerBand];
            Array.Copy(bandOffsets, next, BucketsPerBand);
            var bandSlots = slots[band].Length >= count ? slots[band] : new int[hashes.Length];
            for (var slot = 0; slot < count; slot++) bandSlots[next[hashes[slot].Band(band)]++] = slot;
            slots[band] = bandSlots;
        }
        built = count;
    }

    private void Grow()
    {
        var size = hashes.Length * 2;
        Array.Resize(ref hashes, size);
        Array.Resize(ref entryIds, size);
        Array.Resize(ref removed, size);
    }
}
