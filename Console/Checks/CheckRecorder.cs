using System.Text.Json;
using System.Threading.Channels;
using ModerationConsole.Data;
using Npgsql;
using NpgsqlTypes;

namespace ModerationConsole.Checks;

/// <summary>
/// Writes the records of checks that count against no quota behind their answers: such a verdict does not depend on its
/// record, so the caller is answered at once and the record joins the next write, many per COPY. Waiting for the
/// write doubled a check's p99 latency (docs/benchmarks.md). The price: a console killed outright loses the records
/// still queued (milliseconds of checks); a stopping console writes them first. The queue is bounded: when PostgreSQL
/// falls behind by <see cref="Capacity"/> records, callers wait for room rather than the console holding an outage's
/// worth of records in memory. A failed write is tried again until it succeeds, or three times while stopping.
/// </summary>
public sealed class CheckRecorder(Db db, ILogger<CheckRecorder> logger) : BackgroundService
{
    public const int Capacity = 20_000;
    private const int MaxBatch = 1_000;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Pending(long ProducerId, ValidCheck Check, string Verdict, string Reasons);

    private readonly Channel<Pending> pending = Channel.CreateBounded<Pending>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
    private long queued, written;

    /// <summary>Queues the record; returns at once unless <see cref="Capacity"/> records are already waiting.</summary>
    public async ValueTask EnqueueAsync(long producerId, ValidCheck check, string verdict, IReadOnlyList<CheckReason> reasons, CancellationToken ct)
    {
        await pending.Writer.WriteAsync(new Pending(producerId, check, verdict, JsonSerializer.Serialize(reasons, Json)), ct);
        Interlocked.Increment(ref queued);
    }

    /// <summary>Waits until every record queued before the call is written (the account page and tests read them).</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        var target = Interlocked.Read(ref queued);
        while (Interlocked.Read(ref written) < target) await Task.Delay(5, ct);
    }

    /// <remarks>One writer: its batches grow while a write is in flight, which PostgreSQL takes more cheaply than more, smaller ones.</remarks>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(() => WriteAsync(stoppingToken), CancellationToken.None);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        pending.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    private async Task WriteAsync(CancellationToken stopping)
    {
        var batch = new List<Pending>(MaxBatch);
        while (await pending.Reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && pending.Reader.TryRead(out var next)) batch.Add(next);
            if (batch.Count == 0) continue;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    try
                    {
                        await db.InTransactionAsync((connection, _) => CopyAsync(connection, batch), CancellationToken.None);
                    }
                    catch (PostgresException unique) when (unique.SqlState == PostgresErrorCodes.UniqueViolation)
                    {
                        // A check id asked before (a retry after 15 minutes, or on another instance): keep its first record.
                        await db.InOneRoundTripAsync(connection => WriteAsync(connection, batch), CancellationToken.None);
                    }
                    Interlocked.Add(ref written, batch.Count);
                    break;
                }
                catch (Exception ex) when (!stopping.IsCancellationRequested || attempt < 3)
                {
                    logger.LogWarning(ex, "Could not record {Count} checks (attempt {Attempt}); trying again", batch.Count, attempt);
                    await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 5)), CancellationToken.None);
                }
                catch (Exception ex)
                {
                    logger.LogError(ex, "{Count} check records are lost: the database could not be reached while the console stopped", batch.Count);
                    Interlocked.Add(ref written, batch.Count);
                    break;
                }
            }
        }
    }

    /// <summary>The cheap way for PostgreSQL to take many rows; it refuses the whole batch if one check id was stored before.</summary>
    private static async Task<ulong> CopyAsync(NpgsqlConnection connection, IReadOnlyList<Pending> batch)
    {
        await using (var flush = new NpgsqlCommand(CheckStore.WithoutWaitingForFlush, connection)) await flush.ExecuteNonQueryAsync();
        await using var copy = await connection.BeginBinaryImportAsync(
            "copy generation_checks (producer_id, check_id, user_id, user_tier, features, prompt, verdict, reasons) from stdin (format binary)");
        foreach (var p in batch)
        {
            await copy.StartRowAsync();
            await copy.WriteAsync(p.ProducerId, NpgsqlDbType.Bigint);
            await copy.WriteAsync(p.Check.CheckId, NpgsqlDbType.Text);
            await copy.WriteAsync(p.Check.UserId, NpgsqlDbType.Text);
            if (p.Check.UserTier is { } tier) await copy.WriteAsync(tier, NpgsqlDbType.Text); else await copy.WriteNullAsync();
            await copy.WriteAsync(p.Check.Features.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text);
            await copy.WriteAsync(p.Check.Prompt, NpgsqlDbType.Text);
            await copy.WriteAsync(p.Verdict, NpgsqlDbType.Text);
            await copy.WriteAsync(p.Reasons, NpgsqlDbType.Jsonb);
        }
        return await copy.CompleteAsync();
    }

    private static async Task<int> WriteAsync(NpgsqlConnection connection, IReadOnlyList<Pending> batch)
    {
        await using var command = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                BatchCommand.Of(CheckStore.WithoutWaitingForFlush),
                BatchCommand.Of(WriteSql,
                    ("producers", batch.Select(p => p.ProducerId).ToArray()), ("checkIds", batch.Select(p => p.Check.CheckId).ToArray()),
                    ("users", batch.Select(p => p.Check.UserId).ToArray()), ("tiers", batch.Select(p => p.Check.UserTier).ToArray()),
                    // Feature names are validated as [a-z0-9_], so a comma separates them safely.
                    ("features", batch.Select(p => string.Join(',', p.Check.Features)).ToArray()),
                    ("prompts", batch.Select(p => p.Check.Prompt).ToArray()), ("verdicts", batch.Select(p => p.Verdict).ToArray()),
                    ("reasons", batch.Select(p => p.Reasons).ToArray())),
            },
        };
        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>The checks as one insert, in arrival order; a check id stored before keeps its first record.</summary>
    private const string WriteSql =
        """
        insert into generation_checks (producer_id, check_id, user_id, user_tier, features, prompt, verdict, reasons)
        select producer_id, check_id, user_id, user_tier, coalesce(string_to_array(nullif(features, ''), ','), '{}'), prompt, verdict, reasons
        from unnest(@producers::bigint[], @checkIds::text[], @users::text[], @tiers::text[], @features::text[],
                    @prompts::text[], @verdicts::text[], @reasons::jsonb[]) with ordinality as t (producer_id, check_id, user_id, user_tier, features, prompt, verdict, reasons, n)
        order by n
        on conflict (producer_id, check_id) do nothing
        """;
}
