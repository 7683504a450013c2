using System.Collections.Concurrent;
using Dapper;
using ModerationConsole.Data;
using ModerationConsole.Enforcement;

namespace ModerationConsole.Checks;

/// <summary>
/// Users' standing for checks, in memory: read once, then kept until an enforcement change about the user is announced
/// (every instance hears the notice and forgets the user: <see cref="Decisions.DatabaseListener"/>), until an action in
/// force ends, or for at most <see cref="MaxAge"/> (a notification lost in a crash; a random half to whole of it, so
/// that users read at once, as after a start, are not all read again at once). With the standing come the times
/// of the user's recent refusals, for the policy's refusal spike: read with it, and added to as this instance refuses;
/// refusals on other instances are seen when the entry is read again.
/// </summary>
public sealed class StandingCache(StandingReader reader, Db db)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);
    public const int MaxUsers = 500_000;

    public sealed record Entry(UserStanding Standing, RefusalLog Refusals);

    private readonly ConcurrentDictionary<(long ProducerId, string UserId), (Entry Entry, DateTimeOffset Until)> users = new();
    private long forgets;

    /// <param name="spike">How many refusals within which window matter; null: none are read.</param>
    public async ValueTask<Entry> GetAsync(long producerId, string userId, RefusalSpike? spike, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        if (users.TryGetValue((producerId, userId), out var known) && now < known.Until) return known.Entry;
        // A change announced while the standing was being read may be missing from it: such a read is used, not kept.
        var epoch = Interlocked.Read(ref forgets);
        var standing = await reader.StandingAsync(producerId, userId, ct);
        var refusals = spike is null ? new RefusalLog(0, [])
            : new RefusalLog(spike.Refusals, await NewestRefusalsAsync(producerId, userId, now - spike.Window, spike.Refusals, ct));
        var entry = new Entry(standing, refusals);
        if (Interlocked.Read(ref forgets) != epoch) return entry;
        var until = standing.ActiveEnforcements.Select(a => a.EndsAt).Where(e => e is not null).Select(e => e!.Value)
            .Append(now + MaxAge * (0.5 + Random.Shared.NextDouble() / 2)).Min();
        if (users.Count >= MaxUsers) users.Clear();
        users[(producerId, userId)] = (entry, until);
        return entry;
    }

    public void Forget(long producerId, string userId)
    {
        Interlocked.Increment(ref forgets);
        users.TryRemove((producerId, userId), out _);
    }

    /// <summary>After the notification connection was lost: anything may have changed meanwhile.</summary>
    public void Clear()
    {
        Interlocked.Increment(ref forgets);
        users.Clear();
    }

    private Task<List<DateTimeOffset>> NewestRefusalsAsync(long producerId, string userId, DateTimeOffset since, int limit, CancellationToken ct) =>
        db.ReadAsync(async connection => (await connection.QueryAsync<DateTimeOffset>(
            """
            select checked_at from generation_checks
            where producer_id = @producerId and user_id = @userId and checked_at > @since and verdict = 'deny'
            order by checked_at desc limit @limit
            """, new { producerId, userId, since, limit })).AsList(), ct);
}

/// <summary>
/// When a user's checks were refused lately: the newest <paramref name="kept"/> only, which is all a spike of that many
/// needs to know.
/// </summary>
public sealed class RefusalLog(int kept, IEnumerable<DateTimeOffset> times)
{
    public const int MaxKept = 1_000;
    private readonly List<DateTimeOffset> times = times.Order().ToList();

    public void Add(DateTimeOffset at)
    {
        if (kept == 0) return;
        lock (times)
        {
            times.Add(at);
            if (times.Count > kept) times.RemoveRange(0, times.Count - kept);
        }
    }

    /// <summary>Refusals after <paramref name="since"/>, up to the number kept.</summary>
    public int CountSince(DateTimeOffset since)
    {
        lock (times) return times.Count(t => t > since);
    }
}
