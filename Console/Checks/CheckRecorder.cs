using System.Text.Json;
using System.Threading.Channels;
using ModerationConsole.Data;
using Npgsql;

namespace ModerationConsole.Checks;

/// <summary>
/// Records checks that count against no quota, many per round trip: what arrives while one write is in flight goes in
/// the next, as one statement. Each caller still waits until its own check is stored and gets the verdict stored for
/// its id (the one it brought, or an earlier one for an id asked before). Two writers keep a write in flight while the
/// next batch gathers. One round trip and commit per check was the largest part of a check's cost (docs/benchmarks.md).
/// </summary>
public sealed class CheckRecorder(Db db, ILogger<CheckRecorder> logger) : BackgroundService
{
    private const int MaxBatch = 500;
    private const int Writers = 2;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Pending(long ProducerId, ValidCheck Check, string Verdict, string Reasons, TaskCompletionSource<CheckStore.Stored> Done);

    private readonly Channel<Pending> pending = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = false });

    public Task<CheckStore.Stored> RecordAsync(long producerId, ValidCheck check, string verdict, IReadOnlyList<CheckReason> reasons)
    {
        var done = new TaskCompletionSource<CheckStore.Stored>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!pending.Writer.TryWrite(new Pending(producerId, check, verdict, JsonSerializer.Serialize(reasons, Json), done)))
            done.SetException(new InvalidOperationException("The console is stopping; ask again."));
        return done.Task;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(WriteAsync, CancellationToken.None)));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        pending.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    private async Task WriteAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        // Checks already queued when the console stops are still written: their callers are waiting.
        while (await pending.Reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && pending.Reader.TryRead(out var next)) batch.Add(next);
            if (batch.Count == 0) continue;
            try
            {
                var stored = await db.InOneRoundTripAsync(connection => WriteAsync(connection, batch), CancellationToken.None);
                for (var i = 0; i < batch.Count; i++)
                    if (stored[i] is { } answer) batch[i].Done.SetResult(answer);
                    else batch[i].Done.SetException(new InvalidOperationException($"check {batch[i].Check.CheckId} was being recorded at the same moment; ask again"));
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Could not record {Count} checks", batch.Count);
                foreach (var p in batch) p.Done.TrySetException(ex);
            }
        }
    }

    private static async Task<CheckStore.Stored?[]> WriteAsync(NpgsqlConnection connection, IReadOnlyList<Pending> batch)
    {
        await using var command = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                BatchCommand.Of(CheckStore.WithoutWaitingForFlush),
                BatchCommand.Of(WriteSql,
                    ("producers", batch.Select(p => p.ProducerId).ToArray()), ("checkIds", batch.Select(p => p.Check.CheckId).ToArray()),
                    ("users", batch.Select(p => p.Check.UserId).ToArray()), ("tiers", batch.Select(p => p.Check.UserTier).ToArray()),
                    ("features", batch.Select(p => JsonSerializer.Serialize(p.Check.Features, Json)).ToArray()),
                    ("prompts", batch.Select(p => p.Check.Prompt).ToArray()), ("verdicts", batch.Select(p => p.Verdict).ToArray()),
                    ("reasons", batch.Select(p => p.Reasons).ToArray())),
            },
        };
        var stored = new CheckStore.Stored?[batch.Count];
        await using var reader = await command.ExecuteReaderAsync();
        await reader.NextResultAsync(); // past set_config's row
        while (await reader.ReadAsync())
            if (!reader.IsDBNull(1))
                stored[reader.GetInt64(0) - 1] = new CheckStore.Stored(reader.GetString(1),
                    JsonSerializer.Deserialize<List<CheckReason>>(reader.GetString(2), Json) ?? [], null);
        return stored;
    }

    /// <summary>
    /// The checks as one insert; a check id stored before (or twice in the batch) keeps its first verdict, which is what
    /// that caller is answered. A null verdict: the id is being stored by another transaction right now.
    /// </summary>
    private const string WriteSql =
        """
        with input as (
            select * from unnest(@producers::bigint[], @checkIds::text[], @users::text[], @tiers::text[], @features::jsonb[],
                                 @prompts::text[], @verdicts::text[], @reasons::jsonb[])
                 with ordinality as t (producer_id, check_id, user_id, user_tier, features, prompt, verdict, reasons, n)),
        ins as (
            insert into generation_checks (producer_id, check_id, user_id, user_tier, features, prompt, verdict, reasons)
            select producer_id, check_id, user_id, user_tier, array(select jsonb_array_elements_text(features)), prompt, verdict, reasons
            from input order by n
            on conflict (producer_id, check_id) do nothing
            returning producer_id, check_id, verdict, reasons)
        select i.n, coalesce(ins.verdict, g.verdict), coalesce(ins.reasons, g.reasons)::text
        from input i
        left join ins on ins.producer_id = i.producer_id and ins.check_id = i.check_id
        left join generation_checks g on ins.check_id is null and g.producer_id = i.producer_id and g.check_id = i.check_id
        order by i.n
        """;
}
