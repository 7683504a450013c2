using Dapper;
using Npgsql;

namespace ModerationConsole.Decisions;

/// <summary>
/// "The queues changed": sent with NOTIFY inside the writing transaction, so every console instance hears it once the
/// change is committed, and raised in-process by <see cref="DatabaseListener"/> for screens showing live counts.
/// </summary>
public sealed class QueueSignals
{
    public const string Channel = "queue_changed";

    public event Action? Changed;

    public void Raise() => Changed?.Invoke();

    public static Task NotifyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction) =>
        connection.ExecuteAsync($"select pg_notify('{Channel}', '')", transaction: transaction);
}
