using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using ModerationConsole.Producers;

namespace ModerationConsole.Ingest;

/// <summary>
/// The producers' open hub connections on this instance. A key is checked when a connection opens, but a connection
/// can live for days: each batch is refused once the key it was opened with has been revoked or replaced, and the
/// connections opened with such keys are closed, so that a producer that only listens stops receiving decisions too.
/// They are closed as soon as a key change is heard (<see cref="ProducerStore.KeyChangedChannel"/>, on every instance)
/// and, since a notification can be lost in a crash between commit and send, at the latest every
/// <see cref="IngestOptions.KeyRecheckInterval"/>. The database is the only truth: a notification only says "check now".
/// Until then such a connection receives no decisions: they are pushed by key (<see cref="IngestHub.ProducerGroup"/>).
/// </summary>
public sealed class ProducerConnections(ProducerStore producers, IOptions<IngestOptions> options, ILogger<ProducerConnections> logger)
    : BackgroundService
{
    private readonly ConcurrentDictionary<string, HubCallerContext> open = new();

    /// <summary>Released when a key change is heard; holds at most one pending check, however many changes arrive.</summary>
    private readonly SemaphoreSlim keyChanged = new(0, 1);

    public void Opened(HubCallerContext connection) => open[connection.ConnectionId] = connection;

    public void Closed(HubCallerContext connection) => open.TryRemove(connection.ConnectionId, out _);

    /// <summary>Whether the key <paramref name="connection"/> was opened with is still its producer's live key.</summary>
    public async Task<bool> KeyIsLiveAsync(HubCallerContext connection, CancellationToken ct)
    {
        var producerId = connection.User!.ProducerId();
        return IsLive(await producers.LiveKeysAsync([producerId], ct), connection);
    }

    /// <summary>A producer's key was replaced or revoked (on any instance): check the open connections now.</summary>
    public void KeyChanged()
    {
        try
        {
            keyChanged.Release();
        }
        catch (SemaphoreFullException)
        {
            // A check is already due; it reads every key as it is then.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await keyChanged.WaitAsync(options.Value.KeyRecheckInterval, stoppingToken).ConfigureAwait(false);
            try
            {
                await CloseStaleAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The batches' own check still refuses a revoked key meanwhile; the next round closes its connections.
                logger.LogWarning(ex, "Checking the producers' open connections against their keys failed; retrying at the next interval");
            }
        }
    }

    private async Task CloseStaleAsync(CancellationToken ct)
    {
        var connections = open.Values.ToArray();
        if (connections.Length == 0) return;
        var live = await producers.LiveKeysAsync(connections.Select(c => c.User!.ProducerId()).Distinct().ToArray(), ct);
        foreach (var connection in connections.Where(c => !IsLive(live, c)))
        {
            logger.LogInformation("Closing hub connection {Connection} of producer {Producer}: its API key was revoked or replaced",
                connection.ConnectionId, connection.User!.ProducerId());
            connection.Abort();
        }
    }

    private static bool IsLive(IReadOnlyDictionary<long, byte[]> liveKeys, HubCallerContext connection) =>
        liveKeys.TryGetValue(connection.User!.ProducerId(), out var key) && key.AsSpan().SequenceEqual(connection.User!.ProducerKeyHash());
}
