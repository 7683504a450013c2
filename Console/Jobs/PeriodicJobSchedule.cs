using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Data;

namespace ModerationConsole.Jobs;

/// <summary>
/// Starts a job of <see cref="Kind"/> whenever none was started within <see cref="Every"/>, on whichever instance gets
/// there first (checked every five minutes). Admins may also start the job by hand; that counts as the last start.
/// </summary>
public abstract class PeriodicJobSchedule(Db db, JobStore jobs, ILogger logger) : BackgroundService
{
    protected abstract string Kind { get; }
    protected abstract bool Enabled { get; }
    protected abstract TimeSpan Every { get; }
    /// <summary>A session advisory lock key of its own: two instances never both find no recent job and start one.</summary>
    protected abstract long ScheduleLock { get; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled) return;
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(5));
        do
        {
            try
            {
                await StartIfDueAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Could not start the scheduled {Kind} job; trying again", Kind);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Starts the job when none was started within <see cref="Every"/>; true when it did.</summary>
    public async Task<bool> StartIfDueAsync(CancellationToken ct)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync(ct);
        if (!await connection.ExecuteScalarAsync<bool>("select pg_try_advisory_lock(@ScheduleLock)", new { ScheduleLock })) return false;
        try
        {
            if (await connection.ExecuteScalarAsync<bool>("select exists (select 1 from jobs where kind = @Kind and requested_at > now() - @every)",
                    new { Kind, every = Every }))
                return false;
            await jobs.StartAsync(Kind, new { }, Actor.Console, null, ct);
            return true;
        }
        finally
        {
            await connection.ExecuteAsync("select pg_advisory_unlock(@ScheduleLock)", new { ScheduleLock });
        }
    }
}
