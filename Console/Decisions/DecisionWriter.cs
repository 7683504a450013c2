using Dapper;
using ModerationConsole.Audit;
using Npgsql;

namespace ModerationConsole.Decisions;

/// <summary>
/// Writes final decisions inside the caller's transaction: the decision row, the user's strike on a block, the audit
/// entry, and a NOTIFY (sent once the transaction committed) that pushes the notice to the producer.
/// </summary>
public sealed class DecisionWriter
{
    public const string Channel = "decisions";

    public async Task<IReadOnlyList<long>> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<PendingDecision> pending)
    {
        if (pending.Count == 0) return [];

        // The decision id is the producer's cursor: a reader must never see 102, store it, and miss 101 committing later.
        // Writers hold a shared per-producer lock from before taking an id until commit; the cursor reader takes it
        // exclusively for the moment it reads (DecisionFeed), so it reads only when no id below the sequence's current
        // value is still in flight. Writers do not wait for each other. Taken in producer order to avoid deadlocks.
        foreach (var producerId in pending.Select(p => p.ProducerId).Distinct().Order())
            await connection.ExecuteAsync("select pg_advisory_xact_lock_shared(@lockClass, @producerId::int4)",
                new { lockClass = CursorLockClass, producerId }, transaction);

        var ids = new List<long>(pending.Count);
        foreach (var decision in pending)
        {
            var id = await connection.QuerySingleAsync<long>(
                """
                insert into decisions (item_id, producer_id, decision, categories, reason, note, automated, decided_by, overturns)
                values (@ItemId, @ProducerId, @Decision, @categories, @Reason, @Note, @Automated, @DecidedBy, @Overturns)
                returning id
                """,
                new { decision.ItemId, decision.ProducerId, decision.Decision, categories = decision.Categories.ToArray(),
                      decision.Reason, decision.Note, decision.Automated, decision.DecidedBy, decision.Overturns }, transaction);
            ids.Add(id);

            var change = await StrikeChangeAsync(connection, transaction, decision);
            if (change > 0)
                await connection.ExecuteAsync(
                    """
                    insert into platform_users (producer_id, user_id, strikes, last_strike_at) values (@ProducerId, @PlatformUserId, 1, now())
                    on conflict (producer_id, user_id) do update set strikes = platform_users.strikes + 1, last_strike_at = now()
                    """, decision, transaction);
            else if (change < 0)
                await connection.ExecuteAsync(
                    "update platform_users set strikes = greatest(strikes - 1, 0) where producer_id = @ProducerId and user_id = @PlatformUserId",
                    decision, transaction);

            var actor = decision.DecidedBy is { } userId ? Actor.User(userId) : Actor.Console;
            var action = decision.Overturns is null ? AuditActions.ItemDecided : AuditActions.DecisionOverturned;
            await AuditLog.AppendAsync(connection, transaction, actor, action, decision.ItemId, new
            {
                decisionId = id,
                decision.Decision,
                decision.Categories,
                decision.Note,
                decision.Automated,
                decision.Overturns,
            });
        }

        // NOTIFY payloads are limited to 8000 bytes; ids go in chunks well under that. Sent after commit when we can.
        foreach (var chunk in ids.Chunk(400))
        {
            var payload = string.Join(',', chunk);
            if (!Data.PostCommitNotifications.TryDefer(Channel, payload))
                await connection.ExecuteAsync("select pg_notify(@channel, @payload)", new { channel = Channel, payload }, transaction);
        }
        return ids;
    }

    /// <summary>
    /// +1 when the user earns a strike, -1 when an overturn lifts one, 0 otherwise: a block is a strike; overturning a
    /// block to an approval takes it back; changing a block's categories is still one strike.
    /// </summary>
    private static async Task<int> StrikeChangeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, PendingDecision decision)
    {
        var blocks = decision.Decision == DecisionKinds.Blocked ? 1 : 0;
        if (decision.Overturns is not { } replaced) return blocks;
        var replacedBlocked = await connection.ExecuteScalarAsync<string>("select decision from decisions where id = @replaced",
            new { replaced }, transaction) == DecisionKinds.Blocked ? 1 : 0;
        return blocks - replacedBlocked;
    }

    internal const int CursorLockClass = 0x4D43; // "MC": keeps our advisory locks apart from anyone else's
}
