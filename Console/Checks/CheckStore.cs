using System.Text.Json;
using ModerationConsole.Data;
using Npgsql;

namespace ModerationConsole.Checks;

/// <summary>
/// Records a check with its verdict. A check that counts against a quota is counted and recorded in one round trip
/// before it is answered: a verdict that would allow becomes rate_limited when a quota that applies is used up. A
/// user's checks are counted one at a time (an advisory lock per user, taken in a statement of its own so that the
/// count's snapshot comes after it), so checks sent at once never overshoot a quota, and a check id seen before answers
/// the verdict stored for it. Any other check is answered at once and recorded behind its answer
/// (<see cref="CheckRecorder"/>); its id asked again within <see cref="RememberedFor"/> on the same instance gets the
/// same answer.
/// </summary>
public sealed class CheckStore(Db db, CheckRecorder recorder)
{
    /// <summary>
    /// A check's record commits without waiting for its WAL flush: a database crash can lose the last fraction of a
    /// second of checks (quotas then count a few fewer), never anything else; this transaction only.
    /// </summary>
    internal const string WithoutWaitingForFlush = "select set_config('synchronous_commit', 'off', true)";

    public static readonly TimeSpan RememberedFor = TimeSpan.FromMinutes(15);
    private const int QuotaLockClass = 0x4D51; // "MQ"
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <param name="Repeated">The check id was answered before (on this instance): nothing new was recorded.</param>
    private readonly RecentAnswers<(long ProducerId, string CheckId), Stored> answered = new(RememberedFor, TimeProvider.System);

    public sealed record Stored(string Verdict, IReadOnlyList<CheckReason> Reasons, int? RetryAfter, bool Repeated = false);

    public async Task<Stored> RecordAsync(long producerId, ValidCheck check, string verdict, IReadOnlyList<CheckReason> reasons,
        IReadOnlyList<(string Feature, int PerHour)> quotas, CancellationToken ct)
    {
        var key = (producerId, check.CheckId);
        if (answered.TryGet(key, out var earlier)) return earlier with { Repeated = true };
        Stored stored;
        if (quotas.Count > 0) stored = await RecordCountingAsync(producerId, check, verdict, reasons, quotas, ct);
        else
        {
            stored = new Stored(verdict, reasons, null);
            await recorder.EnqueueAsync(producerId, check, verdict, reasons, ct);
        }
        answered.Add(key, stored);
        return stored;
    }

    private Task<Stored> RecordCountingAsync(long producerId, ValidCheck check, string verdict, IReadOnlyList<CheckReason> reasons,
        IReadOnlyList<(string Feature, int PerHour)> quotas, CancellationToken ct) => db.InOneRoundTripAsync(async connection =>
    {
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(BatchCommand.Of(WithoutWaitingForFlush));
        batch.BatchCommands.Add(BatchCommand.Of("select pg_advisory_xact_lock(@lockClass, hashtext(@producer::text || '/' || @user))",
                ("lockClass", QuotaLockClass), ("producer", producerId), ("user", check.UserId)));
        batch.BatchCommands.Add(BatchCommand.Of(RecordSql,
            ("producer", producerId), ("checkId", check.CheckId), ("user", check.UserId), ("tier", check.UserTier),
            ("features", check.Features.ToArray()), ("prompt", check.Prompt), ("verdict", verdict),
            ("reasons", JsonSerializer.Serialize(reasons, Json)),
            ("quotaFeatures", quotas.Select(q => q.Feature).ToArray()), ("quotaLimits", quotas.Select(q => q.PerHour).ToArray())));
        await using var reader = await batch.ExecuteReaderAsync(ct);
        while (reader.FieldCount == 0 || reader.GetName(0) != "verdict") await reader.NextResultAsync(ct);
        if (!await reader.ReadAsync(ct))
            throw new InvalidOperationException($"check {check.CheckId} was being recorded at the same moment; ask again");
        return new Stored(reader.GetString(0), JsonSerializer.Deserialize<List<CheckReason>>(reader.GetString(1), Json) ?? [],
            reader.IsDBNull(2) ? null : reader.GetInt32(2));
    }, ct);

    private const string RecordSql =
        """
        with usage as (
            select q.feature, q.per_hour, count(c.id)::int as used, min(c.checked_at) as oldest
            from unnest(@quotaFeatures::text[], @quotaLimits::int[]) as q (feature, per_hour)
            left join generation_checks c on c.producer_id = @producer and c.user_id = @user
                 and c.checked_at > now() - interval '1 hour' and c.verdict in ('allow', 'allow_with_review')
                 and (q.feature = '*' or q.feature = any(c.features))
            group by q.feature, q.per_hour),
        over as (
            select * from usage where used >= per_hour),
        limited as (
            select @verdict in ('allow', 'allow_with_review') and exists (select 1 from over) as yes),
        ins as (
            insert into generation_checks (producer_id, check_id, user_id, user_tier, features, prompt, verdict, reasons)
            select @producer, @checkId, @user, @tier, @features, @prompt,
                   case when limited.yes then 'rate_limited' else @verdict end,
                   case when limited.yes
                        then @reasons::jsonb || (select jsonb_agg(jsonb_build_object('layer', 'quota', 'code', 'quota_exceeded',
                                 'category', null, 'detail', format('%s of %s an hour used for %s', used, per_hour,
                                 case when feature = '*' then 'any generation' else feature end), 'shadow', false) order by feature) from over)
                        else @reasons::jsonb end
            from limited
            on conflict (producer_id, check_id) do nothing
            returning verdict, reasons)
        select verdict, reasons::text,
               case when verdict = 'rate_limited'
                    then (select greatest(1, ceil(extract(epoch from min(oldest) + interval '1 hour' - now())))::int from over) end as retry_after
        from ins
        union all
        select verdict, reasons::text, null from generation_checks
        where producer_id = @producer and check_id = @checkId and not exists (select 1 from ins)
        """;
}
