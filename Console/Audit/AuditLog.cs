using System.Text.Json;
using Dapper;
using Npgsql;

namespace ModerationConsole.Audit;

/// <summary>
/// Appends audit entries inside the caller's transaction, so an action and its audit entry commit together or not
/// at all. The hottest paths (claiming, deciding) instead write their entry in the same statement as the change, with
/// <see cref="Insert"/>; either way the sealer chains entries by hash after commit (<see cref="AuditSealer"/>).
/// </summary>
public static class AuditLog
{
    /// <summary>The head of an INSERT of entries, for a statement that selects actor kind, actor id, action, item and details.</summary>
    public const string Insert = "insert into audit_log (actor_kind, actor_id, action, item_id, details)";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        Actor actor, string action, long? itemId = null, object? details = null) =>
        connection.ExecuteAsync(
            Insert + " values (@kind, @actorId, @action, @itemId, @details::jsonb)",
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
