using Dapper;
using ModerationConsole.Data;
using ModerationConsole.Policy;

namespace ModerationConsole.Queue;

public sealed record QueueCount(string Queue, long Waiting, long Claimed, DateTimeOffset? OldestReceivedAt);

public sealed class QueueCountsReader(Db db)
{
    public Task<IReadOnlyList<QueueCount>> ReadAsync(CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<QueueCount>>(async connection =>
        {
            var rows = (await connection.QueryAsync<(string Queue, long Waiting, long Claimed, DateTime? Oldest)>(
                """
                select queue, sum(waiting)::bigint as waiting, sum(claimed)::bigint as claimed, min(oldest) as oldest
                from (
                    -- Items nobody holds: counted from the claim index alone.
                    select queue, count(*) as waiting, 0 as claimed, min(received_at) as oldest
                    from review_items where status = 'pending' and claimed_by is null group by queue
                    union all
                    -- Held items, a few per moderator; a lease that ran out counts as waiting.
                    select queue, count(*) filter (where claim_expires_at <= now()), count(*) filter (where claim_expires_at > now()),
                           min(received_at)
                    from review_items where status = 'pending' and claimed_by is not null group by queue) counts
                group by queue
                """)).ToDictionary(r => r.Queue);
            return Queues.All.Select(q => rows.TryGetValue(q, out var r)
                    ? new QueueCount(q, r.Waiting, r.Claimed, r.Oldest is { } o ? new DateTimeOffset(DateTime.SpecifyKind(o, DateTimeKind.Utc)) : null)
                    : new QueueCount(q, 0, 0, null))
                .ToList();
        }, ct);
}
