using ModerationConsole.Hashing;

namespace ModerationConsole.Bank;

/// <summary>The closest banked hash to a query, within the distance asked for.</summary>
public readonly record struct BankHit(long EntryId, int Distance);

/// <summary>
/// Banked PDQ hashes in memory, searched by multi-index hashing: each hash is filed under its 16 sixteen-bit bands,
/// and a query within distance d looks only in the buckets within ⌊d/16⌋ bits of its own bands (the pigeonhole
/// principle guarantees a true match shares one), then checks the few candidates it finds. With a million entries a
/// bucket holds about 15, so a query reads a few thousand hashes instead of a million. Many readers, one writer.
/// </summary>
public sealed class BankIndex
{
    private const int Bands = 16;
    private const int BucketsPerBand = 1 << 16;

    private readonly ReaderWriterLockSlim gate = new();
    private readonly int[]?[] bucketItems = new int[Bands * BucketsPerBand][];
    private readonly int[] bucketCounts = new int[Bands * BucketsPerBand];
    private readonly Dictionary<long, int> slotByEntry = [];
    private PdqHash[] hashes = new PdqHash[1024];
    private long[] entryIds = new long[1024];
    private bool[] removed = new bool[1024];
    private int count;
    private int activeCount;

    /// <summary>Active (not removed) entries.</summary>
    public int Count
    {
        get { gate.EnterReadLock(); try { return activeCount; } finally { gate.ExitReadLock(); } }
    }

    /// <summary>Adds an entry; adding an entry id already present changes nothing.</summary>
    public void Add(long entryId, PdqHash hash)
    {
        gate.EnterWriteLock();
        try
        {
            if (slotByEntry.ContainsKey(entryId)) return;
            if (count == hashes.Length) Grow();
            var slot = count++;
            hashes[slot] = hash;
            entryIds[slot] = entryId;
            slotByEntry[entryId] = slot;
            activeCount++;
            for (var band = 0; band < Bands; band++) File(band * BucketsPerBand + hash.Band(band), slot);
        }
        finally { gate.ExitWriteLock(); }
    }

    /// <summary>Takes an entry out of matching (its slot stays, unused: removals are rare and a rebuild is a restart).</summary>
    public void Remove(long entryId)
    {
        gate.EnterWriteLock();
        try
        {
            if (slotByEntry.Remove(entryId, out var slot) && !removed[slot])
            {
                removed[slot] = true;
                activeCount--;
            }
        }
        finally { gate.ExitWriteLock(); }
    }

    /// <summary>The closest active entry within <paramref name="maxDistance"/> (0–63), or null.</summary>
    public BankHit? Match(PdqHash query, int maxDistance)
    {
        if (maxDistance is < 0 or > 63) throw new ArgumentOutOfRangeException(nameof(maxDistance), "A bank distance is 0–63.");
        var radius = maxDistance / Bands;
        var bestSlot = -1;
        var bestDistance = int.MaxValue;
        gate.EnterReadLock();
        try
        {
            for (var band = 0; band < Bands; band++)
            {
                foreach (var value in BandNeighbourhood.Of(query.Band(band), radius))
                {
                    var bucket = band * BucketsPerBand + value;
                    var items = bucketItems[bucket];
                    for (var i = 0; i < bucketCounts[bucket]; i++)
                    {
                        var slot = items![i];
                        if (removed[slot]) continue;
                        var distance = query.DistanceTo(hashes[slot]);
                        // Ties go to the oldest entry, so the same query always names the same entry.
                        if (distance < bestDistance || (distance == bestDistance && slot < bestSlot))
                        {
                            bestDistance = distance;
                            bestSlot = slot;
                        }
                    }
                }
            }
            return bestSlot >= 0 && bestDistance <= maxDistance ? new BankHit(entryIds[bestSlot], bestDistance) : null;
        }
        finally { gate.ExitReadLock(); }
    }

    /// <summary>The same answer by comparing against every entry: the benchmark's baseline and the tests' oracle.</summary>
    public BankHit? MatchByScan(PdqHash query, int maxDistance)
    {
        gate.EnterReadLock();
        try
        {
            var bestSlot = -1;
            var bestDistance = int.MaxValue;
            for (var slot = 0; slot < count; slot++)
            {
                if (removed[slot]) continue;
                var distance = query.DistanceTo(hashes[slot]);
                if (distance < bestDistance) { bestDistance = distance; bestSlot = slot; }
            }
            return bestSlot >= 0 && bestDistance <= maxDistance ? new BankHit(entryIds[bestSlot], bestDistance) : null;
        }
        finally { gate.ExitReadLock(); }
    }

    private void File(int bucket, int slot)
    {
        ref var items = ref bucketItems[bucket];
        var used = bucketCounts[bucket];
        if (items is null) items = new int[4];
        else if (used == items.Length) Array.Resize(ref items, used * 2);
        items[used] = slot;
        bucketCounts[bucket] = used + 1;
    }

    private void Grow()
    {
        var size = hashes.Length * 2;
        Array.Resize(ref hashes, size);
        Array.Resize(ref entryIds, size);
        Array.Resize(ref removed, size);
    }
}
