using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Jobs;

namespace ModerationConsole.Policy;

/// <summary>
/// Re-routes the pending backlog under a policy version, in batches: items whose route changes move queue, or are
/// decided automatically (the producer is told), each with an audit entry. Items a moderator holds right now are left
/// to that moderator. An item already routed under the version is skipped, so re-running after a crash neither
/// repeats nor misses work. The job stops early when a newer version became active: that version's job takes over.
/// </summary>
public sealed class RerouteJob(Db db, BacklogRouter router) : IJobHandler
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
                    BacklogRouter.LockedBatch("r.policy_version <> @version and r.id > @after"),
                    new { version, after, limit = BatchSize }, transaction)).ToList();
                var (changed, decidedNow) = await router.RerouteAsync(connection, transaction, policy, items, $"policy version {version}");
                return (Stop: items.Count < BatchSize, Last: items.Count > 0 ? items[^1].Id : after, Count: items.Count, Moved: changed, Decided: decidedNow);
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
