using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Decisions;
using Npgsql;

namespace ModerationConsole.Policy;

/// <summary>
/// Routes pending items again under a policy, inside the caller's transaction, on rows the caller has locked: items
/// whose route changes move queue or are decided automatically (the producer is told), each change audited as
/// <c>item.rerouted</c>. Used when the policy changes (<see cref="RerouteJob"/>) and when new scores arrive (re-scoring).
/// </summary>
public sealed class BacklogRouter(DecisionWriter decisions)
{
    /// <summary>
    /// The next <c>@limit</c> pending items matching <paramref name="condition"/> that no moderator holds, in id order,
    /// locked for re-routing; rows another transaction holds are skipped.
    /// </summary>
    public static string LockedBatch(string condition) =>
        RoutingInputs.Select +
        $"""
         where {condition} and r.status = 'pending' and (r.claim_expires_at is null or r.claim_expires_at < now())
        order by r.id
        limit @limit
        for update of r skip locked
        """;

    public async Task<(int Moved, int Decided)> RerouteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ActivePolicy policy,
        IReadOnlyList<RoutableItem> items, string reason)
    {
        var automatic = new List<PendingDecision>();
        var moved = 0;
        foreach (var item in items)
        {
            var route = Router.Route(policy.Document, item.ToInput());
            await connection.ExecuteAsync(
                """
                update review_items set policy_version = @version, route = @Route, priority = @Priority, route_categories = @categories,
                    queue = @Queue, status = case when @Queue::text is null then 'decided' else 'pending' end,
                    claimed_by = null, claim_token = null, claim_expires_at = null
                where id = @id
                """, new { version = policy.Version, route.Route, route.Priority, categories = route.Categories.ToArray(), route.Queue, id = item.Id },
                transaction);
            if (route.Route == item.Route) continue;
            moved++;
            await AuditLog.AppendAsync(connection, transaction, Actor.Console, AuditActions.ItemRerouted, item.Id,
                new { from = item.Route, to = route.Route, route.Categories, policyVersion = policy.Version, reason });
            if (route.IsAutomaticDecision)
                automatic.Add(PendingDecision.Automatic(item.Id, item.ProducerId, item.UserId, route, policy.Document));
        }
        await decisions.WriteAsync(connection, transaction, automatic, policy.Document);
        if (moved > 0) await QueueSignals.NotifyAsync(connection, transaction);
        return (moved, automatic.Count);
    }
}
