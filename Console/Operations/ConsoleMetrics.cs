using System.Diagnostics.Metrics;
using Dapper;
using Microsoft.Extensions.Options;
using ModerationConsole.Data;
using ModerationConsole.Queue;

namespace ModerationConsole.Operations;

/// <summary>
/// The console's own metrics, as OpenTelemetry gauges read from a snapshot that a background loop refreshes from the
/// database (a scrape never waits on PostgreSQL, and many scrapers cost one query per interval).
/// </summary>
public sealed class ConsoleMetrics : BackgroundService
{
    public const string MeterName = "ModerationConsole";
    private readonly Meter meter = new(MeterName);
    private readonly QueueCountsReader queues;
    private readonly Db db;
    private readonly IOptions<OperationsOptions> options;
    private readonly ILogger<ConsoleMetrics> logger;
    private volatile Snapshot current = new([], [], 0, 0, 0, 0);

    private sealed record Snapshot(IReadOnlyList<QueueCount> Queues, IReadOnlyList<(bool Automated, string Decision, long Count)> LastHour,
        long RunningJobs, long UnsealedAuditEntries, long OpenRemovals, long OverdueRemovals);

    public ConsoleMetrics(QueueCountsReader queues, Db db, IOptions<OperationsOptions> options, CircuitCounter circuits,
        Enforcement.LadderHints ladder, ILogger<ConsoleMetrics> logger)
    {
        meter.CreateObservableGauge("moderation.circuits.open", () => circuits.Open, "{circuit}", "Open pages (Blazor circuits) on this instance");
        (this.queues, this.db, this.options, this.logger) = (queues, db, options, logger);
        meter.CreateObservableGauge("moderation.queue.waiting", () => current.Queues.Select(q => Tagged(q.Waiting, ("queue", q.Queue))),
            "{item}", "Pending items nobody holds, per queue");
        meter.CreateObservableGauge("moderation.queue.claimed", () => current.Queues.Select(q => Tagged(q.Claimed, ("queue", q.Queue))),
            "{item}", "Pending items a moderator holds, per queue");
        meter.CreateObservableGauge("moderation.queue.oldest_age", () => current.Queues.Select(q =>
                Tagged(q.OldestReceivedAt is { } at ? (long)(DateTimeOffset.UtcNow - at).TotalSeconds : 0, ("queue", q.Queue))),
            "s", "Age of the oldest pending item, per queue");
        meter.CreateObservableGauge("moderation.decisions.last_hour", () => current.LastHour.Select(d =>
                Tagged(d.Count, ("decided_by", d.Automated ? "automation" : "human"), ("decision", d.Decision))),
            "{decision}", "Decisions taken in the last hour");
        meter.CreateObservableGauge("moderation.jobs.running", () => current.RunningJobs, "{job}", "Background jobs queued or running");
        meter.CreateObservableCounter("moderation.ladder.actions_in_batch", () => ladder.ActionsInBatch, "{action}",
            "Enforcement actions written in the block's own round trip on this instance");
        meter.CreateObservableCounter("moderation.ladder.retries", () => ladder.Retries, "{decision}",
            "Blocks written again in a transaction because the user's language or the notice templates changed (this instance)");
        meter.CreateObservableGauge("moderation.audit.unsealed", () => current.UnsealedAuditEntries, "{entry}",
            "Audit entries not yet chained (normally a second's worth)");
        meter.CreateObservableGauge("moderation.removals.open", () => current.OpenRemovals, "{request}", "Removal requests waiting for an answer");
        meter.CreateObservableGauge("moderation.removals.overdue", () => current.OverdueRemovals, "{request}",
            "Removal requests past their deadline (48 hours for NCII)");
    }

    /// <summary>
    /// Entries after the newest chained one: an index range, cheap at any size. (An entry of a long transaction can wait
    /// below that point too; `audit verify` counts those exactly.)
    /// </summary>
    internal const string UnsealedSinceLastSeal =
        "select count(*) from audit_log where id > coalesce((select max(entry_id) from audit_chain), 0)";

    private static Measurement<long> Tagged(long value, params (string Key, string Value)[] tags) =>
        new(value, tags.Select(t => new KeyValuePair<string, object?>(t.Key, t.Value)));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SampleInterval);
        do
        {
            try
            {
                var lastHour = await db.ReadAsync(c => c.QueryAsync<(bool, string, long)>(
                    "select automated, decision, count(*) from decisions where decided_at > now() - interval '1 hour' group by 1, 2"), stoppingToken);
                var (jobs, unsealed, openRemovals, overdueRemovals) = await db.ReadAsync(c => c.QuerySingleAsync<(long, long, long, long)>(
                    $"""
                    select (select count(*) from jobs where state in ('queued', 'running')), ({UnsealedSinceLastSeal}),
                           (select count(*) from removal_requests where status = 'open'),
                           (select count(*) from removal_requests where status = 'open' and due_at < now())
                    """), stoppingToken);
                current = new Snapshot(await queues.ReadAsync(stoppingToken), lastHour.ToList(), jobs, unsealed, openRemovals, overdueRemovals);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Could not sample the console's metrics; the gauges keep their last values");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public override void Dispose()
    {
        meter.Dispose();
        base.Dispose();
    }
}
