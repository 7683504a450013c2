using Dapper;
using Microsoft.Extensions.Options;
using ModerationConsole.Data;

namespace ModerationConsole.Checks;

/// <summary>
/// Keeps checks for <see cref="CheckOptions.RetentionDays"/>: older ones are folded into daily counts per producer and
/// verdict, then deleted, a chunk per transaction so that pruning never holds long locks. Checks of a user under a legal
/// hold are kept (Retention/).
/// </summary>
public sealed class CheckPruning(Db db, IOptions<CheckOptions> options, ILogger<CheckPruning> logger) : BackgroundService
{
    private const int Chunk = 10_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PruneInterval);
        do
        {
            try
            {
                var pruned = await PruneAsync(stoppingToken);
                if (pruned > 0) logger.LogInformation("Pruned {Count} checks older than {Days} days into daily counts", pruned, options.Value.RetentionDays);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Could not prune old checks; trying again in {Interval}", options.Value.PruneInterval);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Prunes everything past the retention; the number of checks folded into counts.</summary>
    public async Task<long> PruneAsync(CancellationToken ct)
    {
        long total = 0;
        while (true)
        {
            var pruned = await db.InTransactionAsync(async (connection, transaction) =>
            {
                // A legal hold on a user keeps their checks (prompts); the lock orders this against holds being placed.
                await connection.ExecuteAsync("select pg_advisory_xact_lock_shared(@RetentionLock)", new { Retention.LegalHolds.RetentionLock }, transaction);
                return await connection.ExecuteScalarAsync<long>(
                """
                with old as (
                    delete from generation_checks where id in (
                        select id from generation_checks g where checked_at < now() - make_interval(days => @days)
                          and not exists (select 1 from legal_holds h
                                          where h.scope = 'user' and h.released_at is null and (h.ends_at is null or h.ends_at > now())
                                            and h.producer_id = g.producer_id and h.user_id = g.user_id)
                        order by checked_at limit @chunk)
                    returning checked_at, producer_id, verdict),
                counted as (
                    insert into generation_check_days (day, producer_id, verdict, checks)
                    select (checked_at at time zone 'utc')::date, producer_id, verdict, count(*) from old group by 1, 2, 3
                    on conflict (day, producer_id, verdict) do update set checks = generation_check_days.checks + excluded.checks)
                select count(*) from old
                """, new { days = options.Value.RetentionDays, chunk = Chunk }, transaction);
            }, ct);
            total += pruned;
            if (pruned < Chunk) return total;
        }
    }
}
