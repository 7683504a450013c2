using Dapper;
using Microsoft.Extensions.Options;
using ModerationConsole.Data;
using ModerationConsole.Jobs;

namespace ModerationConsole.Scoring;

/// <summary>
/// Re-scores the pending backlog with one classifier version, in chunks, then re-routes each chunk under the active
/// policy (items may move queue or be decided automatically; producers are told). Runs on the "gpu" queue, so GPU
/// workers can be separate console instances. Resumable by construction: every run walks the whole pending backlog;
/// items an earlier (crashed or cancelled) run scored are not scored again (scoring skips them, and writes with ON
/// CONFLICT DO NOTHING) but are still routed again, so nothing is scored twice and nothing is left unrouted.
/// </summary>
public sealed class RescoreJob(Db db, BacklogScoring backlog, IOptions<ScoringOptions> options) : IJobHandler
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

            var step = await backlog.ScoreAndRouteAsync(name, version, ids, ct);
            scored += step.Scored;
            undecodable += step.Undecodable;
            moved += step.Moved;
            decided += step.Decided;
            done += ids.Count;
            after = ids[^1];
            await context.ReportAsync(done, Math.Max(total, done));
        }
        return new { classifier = source, examined = done, scored, moved, decidedAutomatically = decided, undecodable };
    }
}
