using System.Diagnostics;
using Dapper;
using ModerationConsole.Data;
using ModerationConsole.Policy;
using Npgsql;

namespace ModerationConsole.Queue;

public sealed record QueueCount(string Queue, long Waiting, long Claimed, DateTimeOffset? OldestReceivedAt);

/// <summary>
/// Queue depths for every screen and gauge of this console instance. Counting is a walk over every pending item (a
/// million of them take a core for about a third of a second), so the instance counts once for everyone: callers that
/// ask while a count runs share the next one, and after each count the next waits <see cref="PauseFactor"/> times as
/// long as that count took. However many moderators keep the queue page open during an abuse wave, counting costs at
/// most about a tenth of one core; small queues are still counted within milliseconds of a change.
/// </summary>
public sealed class QueueCountsReader(Db db)
{
    /// <summary>The pause after a count, in multiples of its duration: counting takes at most 1 / (1 + 9) of one core.</summary>
    internal const int PauseFactor = 9;

    private readonly SemaphoreSlim oneAtATime = new(1, 1);
    private Count? latest;
    private long countsTaken;

    private sealed record Count(IReadOnlyList<QueueCount> Queues, long StartedAt, long FinishedAt)
    {
        public TimeSpan Duration => Stopwatch.GetElapsedTime(StartedAt, FinishedAt);
    }

    /// <summary>How many times this instance has counted (for tests).</summary>
    internal long CountsTaken => Interlocked.Read(ref countsTaken);

    /// <summary>How long the latest count took (for tests).</summary>
    internal TimeSpan LastDuration => latest?.Duration ?? TimeSpan.Zero;

    /// <summary>
    /// The queues as counted after this call began, so every change committed before it is in: a count that started
    /// after the call when there is one, else a new count once the pause after the previous one is over.
    /// </summary>
    public async Task<IReadOnlyList<QueueCount>> ReadAsync(CancellationToken ct = default)
    {
        var askedAt = Stopwatch.GetTimestamp();
        await oneAtATime.WaitAsync(ct);
        try
        {
            if (latest is { } shared && shared.StartedAt >= askedAt) return shared.Queues;
            if (latest is { } previous)
            {
                var pause = previous.Duration * PauseFactor - Stopwatch.GetElapsedTime(previous.FinishedAt);
                if (pause > TimeSpan.Zero) await Task.Delay(pause, ct);
            }
            var startedAt = Stopwatch.GetTimestamp();
            var queues = await CountAsync(ct);
            latest = new Count(queues, startedAt, Stopwatch.GetTimestamp());
            Interlocked.Increment(ref countsTaken);
            return queues;
        }
        finally
        {
            oneAtATime.Release();
        }
    }

    /// <remarks>
    /// Without parallel workers: PostgreSQL would otherwise give a large count a worker per core, and for that moment
    /// every moderator's claim and decision waits for a core. One core for longer is the better trade for a gauge.
    /// </remarks>
    private Task<IReadOnlyList<QueueCount>> CountAsync(CancellationToken ct) =>
        db.ReadAsync<IReadOnlyList<QueueCount>>(async connection =>
        {
            // One batch is one implicit transaction, so the setting ends with it.
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands = { BatchCommand.Of("select set_config('max_parallel_workers_per_gather', '0', true)"), BatchCommand.Of(CountSql) },
            };
            var rows = new Dictionary<string, QueueCount>();
            await using (var reader = await batch.ExecuteReaderAsync(ct))
            {
                await reader.NextResultAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    var queue = reader.GetString(0);
                    DateTimeOffset? oldest = reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3);
                    rows[queue] = new QueueCount(queue, reader.GetInt64(1), reader.GetInt64(2), oldest);
                }
            }
            return Queues.All.Select(q => rows.TryGetValue(q, out var count) ? count : new QueueCount(q, 0, 0, null)).ToList();
        }, ct);

    private const string CountSql =
        """
        select queue, sum(waiting)::bigint as waiting, sum(claimed)::bigint as claimed, min(oldest) as oldest
        from (
            -- Items nobody holds.
            select queue, count(*) as waiting, 0 as claimed, min(received_at) as oldest
            from review_items where status = 'pending' and claimed_by is null group by queue
            union all
            -- Held items, a few per moderator; a lease that ran out counts as waiting.
            select queue, count(*) filter (where claim_expires_at <= now()), count(*) filter (where claim_expires_at > now()),
                   min(received_at)
            from review_items where status = 'pending' and claimed_by is not null group by queue) counts
        group by queue
        """;
}
