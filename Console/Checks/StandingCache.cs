using System.Collections.Concurrent;
using ModerationConsole.Enforcement;

namespace ModerationConsole.Checks;

/// <summary>
/// Users' standing for checks, in memory: read once, then kept until an enforcement change about the user is announced
/// (every instance hears the notice and forgets the user: <see cref="Decisions.DatabaseListener"/>), until an action in
/// force ends, or for at most <see cref="MaxAge"/> (a notification lost in a crash).
/// </summary>
public sealed class StandingCache(StandingReader reader)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);
    public const int MaxUsers = 500_000;

    private readonly ConcurrentDictionary<(long ProducerId, string UserId), (UserStanding Standing, DateTimeOffset Until)> users = new();
    private long forgets;

    public async ValueTask<UserStanding> GetAsync(long producerId, string userId, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        if (users.TryGetValue((producerId, userId), out var known) && now < known.Until) return known.Standing;
        // A change announced while the standing was being read may be missing from it: such a read is used, not kept.
        var epoch = Interlocked.Read(ref forgets);
        var standing = await reader.StandingAsync(producerId, userId, ct);
        if (Interlocked.Read(ref forgets) != epoch) return standing;
        var until = standing.ActiveEnforcements.Select(a => a.EndsAt).Where(e => e is not null).Select(e => e!.Value)
            .Append(now + MaxAge).Min();
        if (users.Count >= MaxUsers) users.Clear();
        users[(producerId, userId)] = (standing, until);
        return standing;
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
}
