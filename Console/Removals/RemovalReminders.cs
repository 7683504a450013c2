using Dapper;
using Microsoft.Extensions.Options;
using ModerationConsole.Audit;
using ModerationConsole.Data;

namespace ModerationConsole.Removals;

/// <summary>
/// Marks open requests that have used half, then nine tenths, of their time: each reminder once, audited, shown on the
/// queue and counted in the metrics, so a lead sees a request slipping before it is overdue.
/// </summary>
public sealed class RemovalReminders(Db db, IOptions<RemovalOptions> options, ILogger<RemovalReminders> logger) : BackgroundService
{
    /// <summary>Marks what is due now; returns how many reminders it gave.</summary>
    public Task<int> RemindAsync(CancellationToken ct = default) =>
        db.InTransactionAsync(async (connection, transaction) =>
        {
            // One update per row: the half and the nine-tenths reminder may both fall due in the same pass.
            var marked = await connection.QueryAsync<(long Id, bool Half, bool Late)>(
                """
                update removal_requests
                set reminded_half_at = coalesce(reminded_half_at, case when now() >= received_at + (due_at - received_at) * 0.5 then now() end),
                    reminded_late_at = coalesce(reminded_late_at, case when now() >= received_at + (due_at - received_at) * 0.9 then now() end)
                where status = 'open'
                  and ((reminded_half_at is null and now() >= received_at + (due_at - received_at) * 0.5)
                       or (reminded_late_at is null and now() >= received_at + (due_at - received_at) * 0.9))
                returning id, reminded_half_at = now(), coalesce(reminded_late_at = now(), false)
                """, transaction: transaction);
            var reminders = marked.SelectMany(m => (m.Half ? new[] { (m.Id, Step: "50%") } : []).Concat(m.Late ? [(m.Id, "90%")] : [])).ToList();
            foreach (var (id, step) in reminders)
                await AuditLog.AppendAsync(connection, transaction, Actor.Console, RemovalAuditActions.Reminder, null, new { removalId = id, used = step });
            return reminders.Count;
        }, ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ReminderInterval);
        do
        {
            try
            {
                var given = await RemindAsync(stoppingToken);
                if (given > 0) logger.LogWarning("{Count} removal request reminder(s): time is running out on /removals", given);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Could not look for removal requests running out of time; trying again");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
