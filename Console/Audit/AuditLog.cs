using System.Text.Json;
using Dapper;
using Npgsql;

namespace ModerationConsole.Audit;

/// <summary>
/// Appends audit entries inside the caller's transaction, so an action and its audit entry commit together or not
/// at all. This is the single place entries are written: the hash chain over entries will be added here.
/// </summary>
public static class AuditLog
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        Actor actor, string action, long? itemId = null, object? details = null) =>
        connection.ExecuteAsync(
            """
            insert into audit_log (actor_kind, actor_id, action, item_id, details)
            values (@kind, @actorId, @action, @itemId, @details::jsonb)
            """,
            new
            {
                kind = actor.KindText,
                actorId = actor.Id,
                action,
                itemId,
                details = JsonSerializer.Serialize(details ?? new { }, Json),
            },
            transaction);
}
