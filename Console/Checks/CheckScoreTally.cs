using System.Collections.Concurrent;
using Dapper;
using ModerationConsole.Data;

namespace ModerationConsole.Checks;

/// <summary>
/// The prompt models' scores on checks, as counts per day, model version, category and tenth of the score range
/// (<c>check_score_days</c>), so the dashboard's drift table compares this week's checks with last week's as it does
/// for items. Checks keep no scores of their own; counting in memory and adding the counts every
/// <see cref="FlushEvery"/> keeps the check's hot path free of writes. A console killed outright loses the counts of
/// its last interval; a stopping one writes them first.
/// </summary>
public sealed class CheckScoreTally(Db db, ILogger<CheckScoreTally> logger) : BackgroundService
{
    public static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(30);
    public const int Bins = 10;

    private ConcurrentDictionary<(DateOnly Day, string Source, string Category), long[]> counts = new();

    public void Add(string source, string category, double score)
    {
        var bins = counts.GetOrAdd((DateOnly.FromDateTime(DateTime.UtcNow), source, category), _ => new long[Bins]);
        Interlocked.Increment(ref bins[Math.Clamp((int)(score * Bins), 0, Bins - 1)]);
    }

    /// <summary>Adds what was counted since the last flush to the stored counts.</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        var taken = Interlocked.Exchange(ref counts, new());
        var rows = taken.SelectMany(kv => kv.Value.Select((n, bin) => (kv.Key, Bin: bin, Checks: Interlocked.Read(ref kv.Value[bin]))))
            .Where(r => r.Checks > 0).ToList();
        if (rows.Count == 0) return;
        await db.InOneRoundTripAsync(connection => connection.ExecuteAsync(
            """
            insert into check_score_days (day, source, category, bin, checks)
            select * from unnest(@days::date[], @sources::text[], @categories::text[], @bins::int[], @checks::bigint[])
            on conflict (day, source, category, bin) do update set checks = check_score_days.checks + excluded.checks
            """,
            new
            {
                days = rows.Select(r => r.Key.Day.ToDateTime(TimeOnly.MinValue)).ToArray(), sources = rows.Select(r => r.Key.Source).ToArray(),
                categories = rows.Select(r => r.Key.Category).ToArray(), bins = rows.Select(r => r.Bin).ToArray(),
                checks = rows.Select(r => r.Checks).ToArray(),
            }), ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await TryFlushAsync(stoppingToken);
        }
        catch (OperationCanceledException) { }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await TryFlushAsync(cancellationToken);
    }

    private async Task TryFlushAsync(CancellationToken ct)
    {
        try
        {
            await FlushAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Could not store the prompt models' score counts on checks; those counts are lost");
        }
    }
}
