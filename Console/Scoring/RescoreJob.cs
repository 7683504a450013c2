using Dapper;
using Microsoft.Extensions.Options;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Jobs;
using ModerationConsole.Policy;

namespace ModerationConsole.Scoring;

/// <summary>
/// Re-scores the pending backlog with one classifier version, in chunks, then re-routes each chunk under the active
/// policy (items may move queue or be decided automatically; producers are told). Runs on the "gpu" queue, so GPU
/// workers can be separate console instances. Resumable by construction: every run walks the whole pending backlog;
/// items an earlier (crashed or cancelled) run scored are not scored again (scoring skips them, and writes with ON
/// CONFLICT DO NOTHING) but are still routed again, so nothing is scored twice and nothing is left unrouted.
/// </summary>
public sealed class RescoreJob(Db db, ScoringService scoring, BacklogRouter router, IOptions<ScoringOptions> options) : IJobHandler
{
    public const string JobKind = "rescore";
    private int ChunkSize => options.Value.RescoreChunkSize;

    public string Kind => JobKind;
    public string Queue => JobQueues.Gpu;

    public static object Parameters(string name, string version) => new { name, version };

    public async Task<object?> RunAsync(JobContext context)
    {
        var name = context.Parameter<string>("name");
        var version = context.Parameter<string>("version");
        var source = $"{name}@{version}";
        var ct = context.CancellationToken;
        var total = await db.ReadAsync(c => c.ExecuteScalarAsync<long>("select count(*) from review_items r where r.status = 'pending'"), ct);
        await context.ReportAsync(0, total);

        long done = 0, after = 0, scored = 0, moved = 0, decided = 0, undecodable = 0;
        while (true)
        {
            var ids = (await db.ReadAsync(c => c.QueryAsync<long>(
                "select r.id from review_items r where r.status = 'pending' and r.id > @after order by r.id limit @chunkSize",
                new { after, chunkSize = ChunkSize }), ct)).AsList();
            if (ids.Count == 0) break;

            var batch = await scoring.ScoreBatchAsync(name, version, ids, Actor.Console, ct);
            scored += batch.Scored;
            undecodable += batch.Undecodable.Count;
            var (movedNow, decidedNow) = await db.InTransactionAsync(async (connection, transaction) =>
            {
                var policy = await PolicyStore.LoadActiveAsync(connection, transaction);
                var items = (await connection.QueryAsync<RoutableItem>(BacklogRouter.LockedBatch("r.id = any(@ids)"),
                    new { ids = ids.ToArray(), limit = ids.Count }, transaction)).AsList();
                return await router.RerouteAsync(connection, transaction, policy, items, $"re-scored by {source}");
            }, ct);
            moved += movedNow;
            decided += decidedNow;
            done += ids.Count;
            after = ids[^1];
            await context.ReportAsync(done, Math.Max(total, done));
        }
        return new { classifier = source, examined = done, scored, moved, decidedAutomatically = decided, undecodable };
    }
}
