using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Decisions;
using ModerationConsole.Jobs;

namespace ModerationConsole.Policy;

/// <summary>
/// Re-routes the pending backlog under a policy version, in batches: items whose route changes move queue, or are
/// decided automatically (the producer is told), each with an audit entry. Items a moderator holds right now are left
/// to that moderator. An item already routed under the version is skipped, so re-running after a crash neither
/// repeats nor misses work. The job stops early when a newer version became active: that version's job takes over.
/// </summary>
public sealed class RerouteJob(Db db, DecisionWriter decisions) : IJobHandler
{
    public const string JobKind = "reroute";
    private const int BatchSize = 500;

    public string Kind => JobKind;
    public string Queue => JobQueues.Default;

    public static object Parameters(int version) => new { version };

    public async Task<object?> RunAsync(JobContext context)
    {
        var version = context.Parameter<int>("version");
        var ct = context.CancellationToken;
        var total = await db.ReadAsync(c => c.ExecuteScalarAsync<long>(
            "select count(*) from review_items where status = 'pending' and policy_version <> @version", new { version }), ct);
        await context.ReportAsync(0, total);

        long done = 0, moved = 0, decided = 0, after = 0;
        while (true)
        {
            var batch = await db.InTransactionAsync(async (connection, transaction) =>
            {
                var policy = await PolicyStore.LoadActiveAsync(connection, transaction);
                if (policy.Version != version) return (Stop: true, Last: after, Count: 0, Moved: 0, Decided: 0);

                var items = (await connection.QueryAsync<RoutableItem>(
                    RoutingInputs.Select +
                    """
                     where r.status = 'pending' and r.policy_version <> @version and r.id > @after
                       and (r.claim_expires_at is null or r.claim_expires_at < now())
                     order by r.id limit @BatchSize
                     for update of r skip locked
                    """, new { version, after, BatchSize }, transaction)).ToList();
                var automatic = new List<PendingDecision>();
                var changed = 0;
                foreach (var item in items)
                {
                    var route = Router.Route(policy.Document, item.ToInput());
                    await connection.ExecuteAsync(
                        """
                        update review_items set policy_version = @version, route = @Route, priority = @Priority, route_categories = @categories,
                            queue = @Queue, status = case when @Queue::text is null then 'decided' else 'pending' end,
                            claimed_by = null, claim_token = null, claim_expires_at = null
                        where id = @id
                        """, new { version, route.Route, route.Priority, categories = route.Categories.ToArray(), route.Queue, id = item.Id }, transaction);
                    if (route.Route == item.Route) continue;
                    changed++;
                    await AuditLog.AppendAsync(connection, transaction, Actor.Console, AuditActions.ItemRerouted, item.Id,
                        new { from = item.Route, to = route.Route, route.Categories, policyVersion = version });
                    if (route.IsAutomaticDecision)
                        automatic.Add(PendingDecision.Automatic(item.Id, item.ProducerId, item.UserId, route, policy.Document));
                }
                await decisions.WriteAsync(connection, transaction, automatic);
                if (changed > 0) await QueueSignals.NotifyAsync(connection, transaction);
                return (Stop: items.Count < BatchSize, Last: items.Count > 0 ? items[^1].Id : after, Count: items.Count, Moved: changed, Decided: automatic.Count);
            }, ct);

            done += batch.Count;
            moved += batch.Moved;
            decided += batch.Decided;
            after = batch.Last;
            await context.ReportAsync(done, Math.Max(total, done));
            if (batch.Stop) break;
        }
        return new { version, examined = done, moved, decidedAutomatically = decided };
    }
}
