using Dapper;
using Microsoft.Extensions.Options;
using ModerationConsole.Data;
using ModerationConsole.Jobs;

namespace ModerationConsole.Scoring;

/// <summary>
/// Scores pending items with every active classifier version, and every version in shadow mode, as they arrive, and
/// routes them again on the new scores: every <see cref="ScoringOptions.NewItemsInterval"/>, each such version scores
/// the pending items that lack its scores, or for a backbone only its embeddings: the whole backlog once after a start,
/// then the items of the last half minute and newer, in steps of <see cref="ScoringOptions.RescoreChunkSize"/>.
/// It runs where GPU work runs (instances whose <c>Jobs:Queues</c> include <c>gpu</c>), one instance at a time (an
/// advisory lock), and scores nothing twice (<see cref="ScoringService"/> skips items already scored).
/// </summary>
public sealed class NewItemScoring(Db db, BacklogScoring backlog, IOptions<ScoringOptions> options, IOptions<JobsOptions> jobs,
    ILogger<NewItemScoring> logger) : BackgroundService
{
    private const long LockKey = 0x4d435f53434f5245; // "MC_SCORE"
    /// <summary>Longer than any ingest transaction takes to commit after it inserted its items.</summary>
    private static readonly TimeSpan CommitLag = TimeSpan.FromSeconds(30);
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
            var versions = await connection.QueryAsync<(string Name, string Version, bool BackboneOnly)>(
                """
                select name, version, coalesce(jsonb_array_length(manifest -> 'labels'), 0) = 0 from classifier_versions
                where active or shadow_since is not null order by name
                """);
            foreach (var (name, version, backboneOnly) in versions)
            {
                var source = $"{name}@{version}";
                var after = walkedUpTo.GetValueOrDefault(source);
                while (true)
                {
                    var ids = (await connection.QueryAsync<long>(
                        $"""
                        select r.id from review_items r
                        where r.status = 'pending' and r.id > @after and {ScoringService.NotDoneSql(backboneOnly)}
                        order by r.id limit @limit
                        """, new { after, source, limit = options.Value.RescoreChunkSize })).AsList();
                    if (ids.Count == 0) break;
                    var step = await backlog.ScoreAndRouteAsync(name, version, ids, ct);
                    scored += step.Scored;
                    after = ids[^1]; // this round moves on past items that do not decode
                    if (step.Scored > 0)
                        logger.LogDebug("{Source} scored {Scored} new items ({Moved} moved queue, {Decided} decided automatically)",
                            source, step.Scored, step.Moved, step.Decided);
                }
                // Ids are taken when an item is inserted, so one still committing can have a lower id than items already
                // walked: the next round starts again from items that arrived within the last CommitLag.
                walkedUpTo[source] = await connection.ExecuteScalarAsync<long?>(
                    "select max(id) from review_items where id <= @after and received_at < now() - @lag",
                    new { after, lag = CommitLag }) ?? walkedUpTo.GetValueOrDefault(source);
            }
            return scored;
        }
        finally
        {
            await connection.ExecuteAsync("select pg_advisory_unlock(@key)", new { key = LockKey });
        }
    }
}
