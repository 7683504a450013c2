using Microsoft.AspNetCore.SignalR;
using ModerationConsole.Data;
using ModerationConsole.Ingest;
using ModerationConsole.Producers;
using Npgsql;

namespace ModerationConsole.Decisions;

/// <summary>
/// Listens to PostgreSQL notifications on one dedicated connection and fans them out in this instance: decision ids
/// become <c>Decision</c> pushes and account notice ids <c>UserNotice</c> pushes to the producer's connections here,
/// queue changes refresh the live counts, and a producer key replaced or revoked closes the hub connections opened with it. Every console instance sharing the
/// database hears every commit, so each serves its own connections.
/// The push is live delivery; the guarantee is GET /api/v1/decisions, where a producer catches up from its cursor
/// after any disconnect (ours or its own).
/// </summary>
public sealed class DatabaseListener(
    Db db, DecisionFeed feed, Enforcement.UserNoticeFeed notices, ProducerStore producers, QueueSignals queueSignals, ProducerConnections producerConnections,
    Checks.StandingCache standings, IHubContext<IngestHub> hub, ILogger<DatabaseListener> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Lost the notification connection; reconnecting in {Delay}", delay);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    private async Task ListenAsync(CancellationToken ct)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync(ct);
        var decisionIds = System.Threading.Channels.Channel.CreateUnbounded<long[]>();
        var noticeIds = System.Threading.Channels.Channel.CreateUnbounded<long[]>();
        connection.Notification += (_, e) =>
        {
            if (e.Channel == QueueSignals.Channel) queueSignals.Raise();
            else if (e.Channel == ProducerStore.KeyChangedChannel) producerConnections.KeyChanged();
            else if (e.Channel == DecisionWriter.Channel)
                decisionIds.Writer.TryWrite(e.Payload.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray());
            else if (e.Channel == Enforcement.EnforcementWriter.Channel)
                noticeIds.Writer.TryWrite(e.Payload.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray());
        };
        await using (var listen = new NpgsqlCommand(
            $"listen {QueueSignals.Channel}; listen {DecisionWriter.Channel}; listen {ProducerStore.KeyChangedChannel}; listen {Enforcement.EnforcementWriter.Channel};", connection))
            await listen.ExecuteNonQueryAsync(ct);
        logger.LogInformation("Listening for queue, decision and producer key notifications");
        // Anything may have changed while we were not listening.
        queueSignals.Raise();
        producerConnections.KeyChanged();
        standings.Clear();

        var pushing = PushAsync(decisionIds.Reader, feed.ByIdsAsync, "Decision", "decisions", ct);
        // A notice announces a change of the user's standing: checks on this instance read it afresh.
        var pushingNotices = PushAsync(noticeIds.Reader, async (ids, token) =>
        {
            var read = await notices.ByIdsAsync(ids, token);
            foreach (var (producerId, notice) in read) standings.Forget(producerId, notice.UserId);
            return read;
        }, "UserNotice", "notices", ct);
        try
        {
            // Notifications are sent after commit and may be lost in a crash between the two: a quiet quarter minute
            // also makes screens recount, so no count stays stale for long.
            while (true)
                if (!await connection.WaitAsync(TimeSpan.FromSeconds(15), ct)) queueSignals.Raise();
        }
        finally
        {
            decisionIds.Writer.TryComplete();
            noticeIds.Writer.TryComplete();
            await pushing;
            await pushingNotices;
        }
    }

    // Pushing is done off the notification thread: it queries the database, which the listening connection cannot.
    // Whatever arrived while the previous push ran is read in one query: under load, one per burst, not one per row.
    private async Task PushAsync<T>(System.Threading.Channels.ChannelReader<long[]> reader,
        Func<IReadOnlyList<long>, CancellationToken, Task<IReadOnlyList<(long ProducerId, T Notice)>>> read, string method, string feedName,
        CancellationToken ct)
    {
        const int MaxIdsPerRead = 2000;
        await foreach (var first in reader.ReadAllAsync(CancellationToken.None))
        {
            var ids = new List<long>(first);
            while (ids.Count < MaxIdsPerRead && reader.TryRead(out var more)) ids.AddRange(more);
            try
            {
                var rows = await read(ids, ct);
                // Read after the rows: a connection opened with a key replaced or revoked since then gets nothing,
                // even before ProducerConnections has closed it (the key change's notification may come later).
                var liveKeys = await producers.LiveKeysAsync(rows.Select(n => n.ProducerId).Distinct().ToArray(), ct);
                foreach (var (producerId, notice) in rows)
                    if (liveKeys.TryGetValue(producerId, out var keyHash))
                        await hub.Clients.Group(IngestHub.ProducerGroup(producerId, keyHash)).SendAsync(method, notice, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Could not push {Count} {Feed}; producers will read them from the {Feed} feed", ids.Count, feedName, feedName);
            }
        }
    }
}
