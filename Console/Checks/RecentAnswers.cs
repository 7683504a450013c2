using System.Collections.Concurrent;

namespace ModerationConsole.Checks;

/// <summary>
/// The answers given lately, by check id, kept in two generations: answers go into the current one, which becomes the
/// previous one after <see cref="CheckStore.RememberedFor"/> or at <see cref="MaxPerGeneration"/> answers, and the
/// previous one is then dropped whole. An answer is found for at least <see cref="CheckStore.RememberedFor"/> (unless
/// more than <see cref="MaxPerGeneration"/> came in that time). Unlike a cache with an expiry per entry, nothing is
/// scanned or compacted, and an answer costs one dictionary slot, which matters at thousands of checks a second.
/// </summary>
public sealed class RecentAnswers<TKey, TAnswer>(TimeSpan keptFor, TimeProvider clock) where TKey : notnull
{
    public const int MaxPerGeneration = 200_000;
    private readonly Lock rotating = new();
    private ConcurrentDictionary<TKey, TAnswer> current = new();
    private ConcurrentDictionary<TKey, TAnswer> previous = new();
    private DateTimeOffset currentSince = clock.GetUtcNow();
    // ConcurrentDictionary.Count takes every lock of the dictionary: the answers added are counted here instead.
    private int added;

    public bool TryGet(TKey key, out TAnswer answer) =>
        current.TryGetValue(key, out answer!) || previous.TryGetValue(key, out answer!);

    public void Add(TKey key, TAnswer answer)
    {
        if (Volatile.Read(ref added) >= MaxPerGeneration || clock.GetUtcNow() - currentSince >= keptFor) Rotate();
        current[key] = answer;
        Interlocked.Increment(ref added);
    }

    private void Rotate()
    {
        lock (rotating)
        {
            var now = clock.GetUtcNow();
            if (Volatile.Read(ref added) < MaxPerGeneration && now - currentSince < keptFor) return; // another thread just rotated
            previous = current;
            current = new ConcurrentDictionary<TKey, TAnswer>();
            currentSince = now;
            Volatile.Write(ref added, 0);
        }
    }
}
