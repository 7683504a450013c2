using Dapper;
using ModerationConsole.Audit;
using Npgsql;

namespace ModerationConsole.Decisions;

/// <summary>
/// Writes final decisions inside the caller's transaction: the decision row, the user's strike on a block, the audit
/// entry and a NOTIFY that pushes the notice to the producer after commit.
/// </summary>
public sealed class DecisionWriter
{
    public const string Channel = "decisions";

    public async Task<IReadOnlyList<long>> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<PendingDecision> pending)
    {
        if (pending.Count == 0) return [];

        // The decision id is the producer's cursor, so per producer ids must become visible in the order they are
        // assigned: otherwise a reader could see 102, store it, and never see 101 committing later. Holding a
        // per-producer lock from taking the id until commit gives that order. Taken in id order to avoid deadlocks.
        foreach (var producerId in pending.Select(p => p.ProducerId).Distinct().Order())
            await connection.ExecuteAsync("select pg_advisory_xact_lock(@lockClass, @producerId::int4)",
                new { lockClass = CursorLockClass, producerId }, transaction);

        var ids = new List<long>(pending.Count);
        foreach (var decision in pending)
        {
            var id = await connection.QuerySingleAsync<long>(
                """
                insert into decisions (item_id, producer_id, decision, categories, reason, note, automated, decided_by)
                values (@ItemId, @ProducerId, @Decision, @categories, @Reason, @Note, @Automated, @DecidedBy)
                returning id
                """,
                new { decision.ItemId, decision.ProducerId, decision.Decision, categories = decision.Categories.ToArray(),
                      decision.Reason, decision.Note, decision.Automated, decision.DecidedBy }, transaction);
            ids.Add(id);

            if (decision.Decision == DecisionKinds.Blocked)
                await connection.ExecuteAsync(
                    """
                    insert into platform_users (producer_id, user_id, strikes, last_strike_at) values (@ProducerId, @PlatformUserId, 1, now())
                    on conflict (producer_id, user_id) do update set strikes = platform_users.strikes + 1, last_strike_at = now()
                    """, decision, transaction);

            var actor = decision.DecidedBy is { } userId ? Actor.User(userId) : Actor.Console;
            await AuditLog.AppendAsync(connection, transaction, actor, AuditActions.ItemDecided, decision.ItemId, new
            {
                decisionId = id,
                decision.Decision,
                decision.Categories,
                decision.Note,
                decision.Automated,
            });
        }

        // NOTIFY payloads are limited to 8000 bytes; ids go in chunks well under that.
        foreach (var chunk in ids.Chunk(400))
            await connection.ExecuteAsync("select pg_notify(@channel, @payload)",
                new { channel = Channel, payload = string.Join(',', chunk) }, transaction);
        return ids;
    }

    private const int CursorLockClass = 0x4D43; // "MC": keeps our advisory locks apart from anyone else's
}
