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
                select queue,
                       count(*) filter (where claim_expires_at is null or claim_expires_at <= now()) as waiting,
                       count(*) filter (where claim_expires_at > now()) as claimed,
                       min(received_at) as oldest
                from review_items where status = 'pending' group by queue
                """)).ToDictionary(r => r.Queue);
            return Queues.All.Select(q => rows.TryGetValue(q, out var r)
                    ? new QueueCount(q, r.Waiting, r.Claimed, r.Oldest is { } o ? new DateTimeOffset(DateTime.SpecifyKind(o, DateTimeKind.Utc)) : null)
                    : new QueueCount(q, 0, 0, null))
                .ToList();
        }, ct);
}
