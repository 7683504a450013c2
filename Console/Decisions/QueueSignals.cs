using Dapper;
using Npgsql;

namespace ModerationConsole.Decisions;

/// <summary>
/// "The queues changed": a NOTIFY sent once the writing transaction committed (see <see cref="Data.PostCommitNotifications"/>),
/// so every console instance hears it, raised in-process by <see cref="DatabaseListener"/> for screens showing live counts.
/// </summary>
public sealed class QueueSignals
{
    public const string Channel = "queue_changed";

    public event Action? Changed;

    public void Raise() => Changed?.Invoke();

    /// <summary>After commit when called inside <see cref="Data.Db"/>'s writes; inside the caller's transaction otherwise.</summary>
    public static Task NotifyAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction) =>
        Data.PostCommitNotifications.TryDefer(Channel, "")
            ? Task.CompletedTask
            : connection.ExecuteAsync($"select pg_notify('{Channel}', '')", transaction: transaction);
}
