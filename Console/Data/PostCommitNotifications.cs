using System.Text;
using System.Threading.Channels;
using Npgsql;

namespace ModerationConsole.Data;

/// <summary>
/// PostgreSQL NOTIFYs sent after commit, a few at a time, instead of inside the writing transactions: PostgreSQL
/// serialises the commits of every transaction that notified, which made busy queues commit one transaction at a time.
/// Notifications are live updates (queue counts, decision pushes); the database stays the truth, so one lost in a
/// crash between commit and send costs a refresh, never data: producers catch up from their cursor, and screens
/// recount on the next signal or the listener's periodic one.
/// </summary>
public sealed class PostCommitNotifications : IAsyncDisposable
{
    private static readonly AsyncLocal<List<(string Channel, string Payload)>?> Deferred = new();
    private readonly Channel<(string Channel, string Payload)> pending = Channel.CreateUnbounded<(string, string)>(new() { SingleReader = true });
    private readonly NpgsqlDataSource dataSource;
    private readonly ILogger logger;
    private readonly Task sending;

    public PostCommitNotifications(NpgsqlDataSource dataSource, ILogger logger)
    {
        (this.dataSource, this.logger) = (dataSource, logger);
        sending = Task.Run(SendLoopAsync);
    }

    /// <summary>Inside <see cref="Db.InTransactionAsync{T}"/>: keeps the notification for after commit. False elsewhere.</summary>
    public static bool TryDefer(string channel, string payload)
    {
        if (Deferred.Value is not { } list) return false;
        list.Add((channel, payload));
        return true;
    }

    /// <summary>Starts collecting for one transaction attempt; returns what was collected before (to restore).</summary>
    internal static List<(string, string)>? Begin(List<(string, string)> collector)
    {
        var previous = Deferred.Value;
        Deferred.Value = collector;
        return previous;
    }

    internal static void End(List<(string, string)>? previous) => Deferred.Value = previous;

    internal void Send(List<(string Channel, string Payload)> committed)
    {
        foreach (var notification in committed) pending.Writer.TryWrite(notification);
    }

    private async Task SendLoopAsync()
    {
        var reader = pending.Reader;
        while (await reader.WaitToReadAsync())
        {
            // Gather what arrives within a few milliseconds; identical signals are sent once.
            await Task.Delay(5);
            var batch = new List<(string Channel, string Payload)>();
            var seen = new HashSet<(string, string)>();
            while (batch.Count < 500 && reader.TryRead(out var notification))
                if (notification.Payload.Length > 0 || seen.Add(notification)) batch.Add(notification);
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync();
                await using var command = new NpgsqlCommand { Connection = connection };
                var sql = new StringBuilder("select ");
                for (var i = 0; i < batch.Count; i++)
                {
                    sql.Append(i == 0 ? "" : ", ").Append($"pg_notify(@c{i}, @p{i})");
                    command.Parameters.AddWithValue($"c{i}", batch[i].Channel);
                    command.Parameters.AddWithValue($"p{i}", batch[i].Payload);
                }
                command.CommandText = sql.ToString();
                await command.ExecuteNonQueryAsync();
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Could not send {Count} notifications; screens and producers catch up on the next one", batch.Count);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        pending.Writer.TryComplete();
        await sending;
    }
}
