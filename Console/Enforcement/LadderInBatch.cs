using System.Text.Json;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Decisions;
using ModerationConsole.Policy;
using Npgsql;

namespace ModerationConsole.Enforcement;

/// <summary>
/// The enforcement ladder for one block inside the block's own one-round-trip batch, so that a block that moves its
/// user up the ladder costs no more round trips than one that does not. One statement, after the block's decision and
/// strike: it sums the active strike weight, finds the highest rung reached and, unless that rung already stands or a
/// ban is in force (the rules of <see cref="Ladder.Evaluate"/> for a new strike), writes it with its audit entry and
/// notice, as <see cref="EnforcementWriter"/> would have.
/// </summary>
/// <remarks>
/// The notice's text is rendered here for every rung beforehand, in the language this instance last saw for the user
/// and with the templates it last read (<see cref="LadderHints"/>), dated by this instance's clock; the database picks
/// the rung and fills in the weight, the facts and the ids. When a rung is due, the statement checks that the language,
/// the templates and the clock (within a second) are the database's, and fails the batch otherwise
/// (<see cref="DecisionStrikes.LadderActs"/>): the caller then writes the block in a transaction, which reads them.
/// </remarks>
public static class LadderInBatch
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static NpgsqlBatchCommand Command(PolicyDocument policy, PendingDecision block, string? language, NoticeTemplateSet templates)
    {
        var ticks = DateTimeOffset.UtcNow.UtcTicks;
        var clock = new DateTimeOffset(ticks - ticks % 10, TimeSpan.Zero); // PostgreSQL keeps microseconds
        var context = new NoticeContext(clock, NoticeTemplates.LanguageOf(language), templates.Templates);
        var steps = policy.Enforcement.Steps;
        var rendered = steps.Select(step => EnforcementWriter.Render(policy, new NewEnforcement(block.ProducerId, block.PlatformUserId, step,
            Ladder.OriginLadder, null, block.Categories, "", null, [], null), context)).ToList();
        return BatchCommand.Of(Sql,
            ("producer", block.ProducerId), ("user", block.PlatformUserId), ("item", block.ItemId), ("categories", block.Categories.ToArray()),
            ("thresholds", steps.Select(s => s.Threshold).ToArray()), ("actions", steps.Select(s => s.Action).ToArray()),
            ("features", steps.Select(s => JsonSerializer.Serialize(s.Features, Json)).ToArray()),
            ("quotas", steps.Select(s => s.HourlyQuota).ToArray()), ("hours", steps.Select(s => s.DurationHours).ToArray()),
            ("automatic", steps.Select(s => s.Automatic).ToArray()),
            ("notices", rendered.Select(r => r.Notice).ToArray()), ("details", rendered.Select(r => r.Details).ToArray()),
            ("reasonText", Ladder.ReachedStepText), ("now", clock), ("language", language), ("templatesVersion", templates.Version),
            ("lockClass", EnforcementWriter.CursorLockClass), ("actorKind", Actor.Console.KindText), ("actorId", Actor.Console.Id),
            ("applied", AuditActions.EnforcementApplied), ("proposed", AuditActions.EnforcementProposed),
            ("idPath", new[] { "enforcement", "enforcementId" }), ("factsPath", new[] { "statement", "facts", "decisionCursors" }),
            ("weightPath", new[] { "statement", "facts", "strikeWeight" }), ("problem", DecisionStrikes.LadderActs));
    }

    /// <summary>Takes the statement's result: the action written, if any, and its notice to announce after commit.</summary>
    public static async Task<(long? EnforcementId, long? NoticeId)> ReadAsync(NpgsqlDataReader reader)
    {
        (long?, long?) written = (null, null);
        while (await reader.ReadAsync())
            written = (reader.IsDBNull(0) ? null : reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt64(1));
        return written;
    }

    /// <summary>The name of the statement's first result column.</summary>
    public const string ResultColumn = "ladder_enforcement_id";

    // The notice's cursor lock is taken shared, before the notice's id, only when a rung is written (see EnforcementWriter).
    private const string Sql =
        $"""
        with weight as (
            select coalesce(sum(weight), 0)::int as w from strikes
            where producer_id = @producer and user_id = @user and lifted_at is null and expires_at > now()),
        standing as (
            select e.action, e.state, e.origin, e.step_threshold from enforcements e
            where e.producer_id = @producer and e.user_id = @user and {DecisionStrikes.InForceOrProposed}),
        due as (
            select t.i, t.threshold from unnest(@thresholds::int[]) with ordinality as t (threshold, i), weight
            where t.threshold <= weight.w order by t.threshold desc limit 1),
        act as materialized (
            select due.i, due.threshold, weight.w,
                   require_that(
                       (select language from review_items r where r.producer_id = @producer and r.user_id = @user and language is not null
                        order by r.id desc limit 1) is not distinct from @language::text
                       and ({NoticeTemplates.VersionSql}) = @templatesVersion
                       and abs(extract(epoch from now() - @now::timestamptz)) < 1,
                       @problem) as checked,
                   pg_advisory_xact_lock_shared(@lockClass, @producer::int4) as locked
            from due, weight
            where not exists (select 1 from standing where action = 'ban' and state = 'active')
              and not exists (select 1 from standing where origin = 'ladder' and step_threshold = due.threshold)),
        e as (
            insert into enforcements (producer_id, user_id, action, features, hourly_quota, state, origin, step_threshold, decision_id,
                                      categories, reason, automated, created_by, duration, starts_at, ends_at)
            select @producer, @user, (@actions::text[])[i], array(select jsonb_array_elements_text((@features::jsonb[])[i])),
                   (@quotas::int[])[i], case when (@automatic::bool[])[i] then 'active' else 'proposed' end, 'ladder', threshold,
                   (select max(d.id) from decisions d where d.item_id = @item), @categories::text[],
                   replace(replace(@reasonText, '{"{weight}"}', w::text), '{"{threshold}"}', threshold::text), true, null,
                   make_interval(hours => (@hours::int[])[i]),
                   case when (@automatic::bool[])[i] then @now::timestamptz end,
                   case when (@automatic::bool[])[i] then @now::timestamptz + make_interval(hours => (@hours::int[])[i]) end
            from act
            returning id, decision_id, reason, state),
        a as (
            {AuditLog.Insert}
            select @actorKind, @actorId, case when e.state = 'proposed' then @proposed else @applied end, null,
                   (@details::jsonb[])[act.i]
                   || jsonb_build_object('enforcementId', e.id, 'decisionId', e.decision_id, 'reason', e.reason, 'strikeWeight', act.w)
            from e, act),
        n as (
            insert into user_notices (producer_id, user_id, kind, enforcement_id, notice)
            select @producer, @user, 'enforcement_applied', e.id,
                   jsonb_set(jsonb_set(jsonb_set((@notices::jsonb[])[act.i], @idPath::text[], to_jsonb(e.id)), @weightPath::text[], to_jsonb(act.w)),
                             @factsPath::text[],
                             (select coalesce(jsonb_agg(s.decision_id order by s.decision_id), '[]') from strikes s
                              where s.producer_id = @producer and s.user_id = @user and s.lifted_at is null and s.expires_at > now()))
            from e, act where (@notices::jsonb[])[act.i] is not null
            returning id)
        select (select id from e) as {ResultColumn}, (select id from n) as ladder_notice_id
        """;
}
