using Dapper;
using Microsoft.Extensions.Options;
using ModerationConsole.Data;
using ModerationConsole.Jobs;

namespace ModerationConsole.Scoring;

/// <summary>
/// Scores pending items with every active classifier version as they arrive, and routes them again on the new scores:
/// every <see cref="ScoringOptions.NewItemsInterval"/>, each active version walks the pending items it has not yet
/// walked (the whole backlog once after a start, then only new ones) in steps of <see cref="ScoringOptions.RescoreChunkSize"/>.
/// It runs where GPU work runs (instances whose <c>Jobs:Queues</c> include <c>gpu</c>), one instance at a time (an
/// advisory lock), and scores nothing twice (<see cref="ScoringService"/> skips items already scored).
/// </summary>
public sealed class NewItemScoring(Db db, BacklogScoring backlog, IOptions<ScoringOptions> options, IOptions<JobsOptions> jobs,
    ILogger<NewItemScoring> logger) : BackgroundService
{
    private const long LockKey = 0x4d435f53434f5245; // "MC_SCORE"
    private readonly Dictionary<string, long> walkedUpTo = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.NewItemsInterval;
        if (interval <= TimeSpan.Zero || jobs.Value.WorkerCount == 0 || !jobs.Value.EffectiveQueues.Contains(JobQueues.Gpu)) return;
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                await ScoreNewItemsAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Scoring is not on the ingest path: items wait for the next round, or for a person.
                logger.LogWarning(ex, "Scoring new items failed; trying again in {Interval}", interval);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One round: every active version scores what it has not walked yet. Returns the items scored.</summary>
    public async Task<int> ScoreNewItemsAsync(CancellationToken ct)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync(ct);
        if (!await connection.ExecuteScalarAsync<bool>("select pg_try_advisory_lock(@key)", new { key = LockKey })) return 0;
        try
        {
            var scored = 0;
            var versions = await connection.QueryAsync<(string Name, string Version)>("select name, version from classifier_versions where active order by name");
            foreach (var (name, version) in versions)
            {
                var source = $"{name}@{version}";
                var after = walkedUpTo.GetValueOrDefault(source);
                while (true)
                {
                    var ids = (await connection.QueryAsync<long>(
                        "select r.id from review_items r where r.status = 'pending' and r.id > @after order by r.id limit @limit",
                        new { after, limit = options.Value.RescoreChunkSize })).AsList();
                    if (ids.Count == 0) break;
                    var step = await backlog.ScoreAndRouteAsync(name, version, ids, ct);
                    scored += step.Scored;
                    walkedUpTo[source] = after = ids[^1];
                    if (step.Scored > 0)
                        logger.LogDebug("{Source} scored {Scored} new items ({Moved} moved queue, {Decided} decided automatically)",
                            source, step.Scored, step.Moved, step.Decided);
                }
            }
            return scored;
        }
        finally
        {
            await connection.ExecuteAsync("select pg_advisory_unlock(@key)", new { key = LockKey });
        }
    }
}
