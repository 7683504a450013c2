using System.Text.Json;
using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Decisions;
using ModerationConsole.Policy;
using Npgsql;

namespace ModerationConsole.Enforcement;

/// <summary>An action to record on an account: from the ladder, at once, or by a person's hand.</summary>
public sealed record NewEnforcement(
    long ProducerId,
    string UserId,
    LadderStep Step,
    string Origin,
    long? DecisionId,
    IReadOnlyList<string> Categories,
    string Reason,
    long? ByUser,
    IReadOnlyList<long> Facts,
    int? StrikeWeight);

/// <summary>
/// Writes account actions inside the caller's transaction: the enforcement row, its audit entry and, once it is in
/// force or lifted, the notice for the platform (a <see cref="UserNotice"/> row, pushed after commit). The notice
/// row's id is the producer's cursor, kept safe to store with the same shared/exclusive lock as decisions.
/// </summary>
/// <remarks>
/// Applying actions is one round trip however many there are, once their <see cref="NoticeContext"/> is known (the
/// ladder reads it with the standing): one statement per action inserts it, its audit entry and its notice.
/// </remarks>
public static class EnforcementWriter
{
    public const string Channel = "user_notices";
    internal const int CursorLockClass = 0x4D45; // "ME": the notices' cursor, apart from the decisions' (0x4D43)

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>How a user seeks redress, for the statement: the platform's appeal, which reaches this console's appeals queue.</summary>
    public const string RedressAppeal = "internal_complaint";
    public const string RedressNone = "none";

    public static async Task<long> ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, PolicyDocument policy, NewEnforcement e) =>
        (await ApplyAllAsync(connection, transaction, policy,
            [(e, await NoticeContext.ReadAsync(connection, transaction, e.ProducerId, e.UserId))]))[0];

    /// <summary>
    /// Writes several actions in one round trip (the ladder after an ingest batch may warn many users at once), each with
    /// the notice context the caller read for its account. Returns their ids in order.
    /// </summary>
    public static async Task<IReadOnlyList<long>> ApplyAllAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, PolicyDocument policy,
        IReadOnlyList<(NewEnforcement Enforcement, NoticeContext Context)> actions)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var producerId in actions.Select(a => a.Enforcement.ProducerId).Distinct().Order())
            batch.BatchCommands.Add(NoticeLock(producerId));
        foreach (var (e, context) in actions)
            batch.BatchCommands.Add(InsertCommand(policy, e, context));

        var ids = new List<long>(actions.Count);
        var notices = new List<long>();
        await using (var reader = await batch.ExecuteReaderAsync())
            do
            {
                if (reader.FieldCount != 2 || reader.GetName(0) != "enforcement_id") continue; // a lock's row
                while (await reader.ReadAsync())
                {
                    ids.Add(reader.GetInt64(0));
                    if (!reader.IsDBNull(1)) notices.Add(reader.GetInt64(1));
                }
            }
            while (await reader.NextResultAsync());
        foreach (var notice in notices) await AnnounceAsync(connection, transaction, notice);
        return ids;
    }

    /// <summary>
    /// One statement for one action: the row, its audit entry and (unless it is a proposal) its notice, rendered here at
    /// the transaction's time with the new id set in the database.
    /// </summary>
    private static NpgsqlBatchCommand InsertCommand(PolicyDocument policy, NewEnforcement e, NoticeContext context)
    {
        var (state, notice, details) = Render(policy, e, context);
        var duration = e.Step.DurationHours is { } h ? TimeSpan.FromHours(h) : (TimeSpan?)null;
        return BatchCommand.Of(
            $"""
            with e as (
                insert into enforcements (producer_id, user_id, action, features, hourly_quota, state, origin, step_threshold, decision_id,
                                          categories, reason, automated, created_by, duration, starts_at, ends_at)
                values (@producerId, @userId, @action, @features, @quota, @state, @origin, @threshold, @decisionId, @categories, @reason,
                        @automated, @byUser, @duration, @startsAt, @endsAt)
                returning id),
            a as (
                {AuditLog.Insert}
                select @actorKind, @actorId, @auditAction, null, jsonb_build_object('enforcementId', e.id) || @details::jsonb from e),
            n as (
                insert into user_notices (producer_id, user_id, kind, enforcement_id, notice)
                select @producerId, @userId, 'enforcement_applied', e.id, jsonb_set(@notice::jsonb, @idPath::text[], to_jsonb(e.id))
                from e where @notice::jsonb is not null
                returning id)
            select e.id as enforcement_id, (select id from n) as notice_id from e
            """,
            ("producerId", e.ProducerId), ("userId", e.UserId), ("action", e.Step.Action), ("features", e.Step.Features.ToArray()),
            ("quota", e.Step.HourlyQuota), ("state", state.State), ("origin", e.Origin),
            ("threshold", e.Origin == Ladder.OriginLadder ? e.Step.Threshold : null), ("decisionId", e.DecisionId),
            ("categories", e.Categories.ToArray()), ("reason", e.Reason), ("automated", e.ByUser is null), ("byUser", e.ByUser),
            ("duration", duration), ("startsAt", state.StartsAt), ("endsAt", state.EndsAt),
            ("actorKind", ActorOf(e.ByUser).KindText), ("actorId", ActorOf(e.ByUser).Id),
            ("auditAction", state.State == "proposed" ? AuditActions.EnforcementProposed : AuditActions.EnforcementApplied),
            ("details", details),
            ("notice", notice), ("idPath", new[] { "enforcement", "enforcementId" }));
    }

    /// <summary>
    /// An action as it is written at <paramref name="context"/>'s time: its state, its notice (null for a proposal, which
    /// the platform never hears of) and its audit details, both as JSON. The enforcement's id is set in the database.
    /// </summary>
    internal static (EnforcementState State, string? Notice, string Details) Render(PolicyDocument policy, NewEnforcement e, NoticeContext context)
    {
        var proposed = e.Origin == Ladder.OriginLadder && !e.Step.Automatic;
        var duration = e.Step.DurationHours is { } h ? TimeSpan.FromHours(h) : (TimeSpan?)null;
        var startsAt = proposed ? (DateTimeOffset?)null : context.Now;
        var state = new EnforcementState(0, e.Step.Action, e.Step.Features, e.Step.HourlyQuota, proposed ? "proposed" : "active",
            startsAt, startsAt + duration);
        var notice = proposed ? null : Serialize(new StoredNotice(e.UserId, "enforcement_applied", state, null,
            Statement(policy, context, state, e.Categories, e.Reason, e.ByUser is null, e.Facts, e.StrikeWeight)));
        var details = Serialize(new
        {
            producerId = e.ProducerId, userId = e.UserId, action = e.Step.Action, features = e.Step.Features, hourlyQuota = e.Step.HourlyQuota,
            durationHours = e.Step.DurationHours, origin = e.Origin, threshold = e.Step.Threshold, decisionId = e.DecisionId,
            categories = e.Categories, reason = e.Reason, strikeWeight = e.StrikeWeight,
        });
        return (state, notice, details);
    }

    /// <summary>A senior confirms a proposal: it comes into force now, for its duration, and the platform is told.</summary>
    public static async Task ConfirmAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, PolicyDocument policy, long enforcementId, long byUser, string? note)
    {
        var confirmed = await connection.ExecuteAsync(
            "update enforcements set state = 'active', starts_at = now(), ends_at = now() + duration where id = @enforcementId and state = 'proposed'",
            new { enforcementId }, transaction);
        if (confirmed == 0) throw new EnforcementException("enforcement: only a proposal can be confirmed; this one was confirmed, dismissed or lifted already.");
        await AuditLog.AppendAsync(connection, transaction, Actor.User(byUser), AuditActions.EnforcementConfirmed, details: new { enforcementId, note });
        var e = await RowAsync(connection, transaction, enforcementId);
        var context = await NoticeContext.ReadAsync(connection, transaction, e.ProducerId, e.UserId);
        await AddNoticeAsync(connection, transaction, e.ProducerId, e.UserId, "enforcement_applied", enforcementId, null, e.ToState(), null,
            Statement(policy, context, e.ToState(), e.Categories, e.Reason, false, [], null));
    }

    /// <summary>
    /// Ends an action early (a person, with a reason) or because it no longer holds (the ladder after an overturn). A
    /// proposal is dismissed instead, and the platform, which never heard of it, is not told.
    /// </summary>
    public static async Task LiftAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long enforcementId, long? byUser, string reason,
        long? appealId = null)
    {
        var row = await connection.QuerySingleOrDefaultAsync<Row>(RowSql + " for update", new { enforcementId }, transaction)
                  ?? throw new EnforcementException($"enforcement: there is no enforcement {enforcementId}.");
        if (row.State is "lifted" or "dismissed") throw new EnforcementException($"enforcement: {enforcementId} was {row.State} already.");
        var dismissed = row.State == "proposed";
        await connection.ExecuteAsync(
            "update enforcements set state = @state, lifted_at = now(), lifted_by = @byUser, lift_reason = @reason where id = @enforcementId",
            new { enforcementId, byUser, reason, state = dismissed ? "dismissed" : "lifted" }, transaction);
        await AuditLog.AppendAsync(connection, transaction, ActorOf(byUser),
            dismissed ? AuditActions.EnforcementDismissed : AuditActions.EnforcementLifted,
            details: new { enforcementId, producerId = row.ProducerId, userId = row.UserId, reason, appealId });
        if (dismissed) return;

        var context = await NoticeContext.ReadAsync(connection, transaction, row.ProducerId, row.UserId);
        var (title, body) = context.Wording(NoticeKinds.Lifted, row.Categories);
        var values = new Dictionary<string, string?> { ["action"] = ActionName(row.Action, context.Language) };
        await AddNoticeAsync(connection, transaction, row.ProducerId, row.UserId, "enforcement_lifted", enforcementId, null, row.ToState() with { State = "lifted" }, null,
            new StatementOfReasons(context.Language, NoticeTemplates.Fill(title, values), NoticeTemplates.Fill(body, values),
                new NoticeFacts([], row.Categories, null), reason, byUser is null, new Redress(null, RedressNone)));
    }

    /// <summary>The statement of reasons for an action in force, in the user's language.</summary>
    private static StatementOfReasons Statement(PolicyDocument policy, NoticeContext context, EnforcementState state, IReadOnlyList<string> categories,
        string reason, bool automated, IReadOnlyList<long> facts, int? strikeWeight)
    {
        var (title, body) = context.Wording(state.Action, categories);
        var appealUntil = context.Now.AddDays(policy.Enforcement.AppealWindowDays);
        var ground = categories.Count > 0 ? PendingDecision.StatementOfReasons(policy, categories) : reason;
        var values = new Dictionary<string, string?>
        {
            ["ground"] = ground,
            ["categories"] = string.Join(", ", categories.Select(c => policy.Find(c)?.Label ?? c)),
            ["features"] = string.Join(", ", state.Features),
            ["quota"] = state.HourlyQuota is { } q ? $"({q}/h)" : null,
            ["until"] = state.EndsAt is { } until ? NoticeTemplates.FormatDate(until, context.Language) : null,
            ["appealUntil"] = NoticeTemplates.FormatDate(appealUntil, context.Language),
            ["action"] = ActionName(state.Action, context.Language),
        };
        return new StatementOfReasons(context.Language, NoticeTemplates.Fill(title, values), NoticeTemplates.Fill(body, values),
            new NoticeFacts(facts, categories, strikeWeight), ground, automated, new Redress(appealUntil, RedressAppeal));
    }

    /// <summary>Stores a notice for the platform and announces it after commit.</summary>
    public static async Task<long> AddNoticeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long producerId, string userId,
        string kind, long? enforcementId, long? appealId, EnforcementState? enforcement, AppealOutcome? appeal, StatementOfReasons statement)
    {
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                NoticeLock(producerId),
                BatchCommand.Of(
                    """
                    insert into user_notices (producer_id, user_id, kind, enforcement_id, appeal_id, notice)
                    values (@producerId, @userId, @kind, @enforcementId, @appealId, @notice::jsonb) returning id
                    """,
                    ("producerId", producerId), ("userId", userId), ("kind", kind), ("enforcementId", enforcementId), ("appealId", appealId),
                    ("notice", Serialize(new StoredNotice(userId, kind, enforcement, appeal, statement)))),
            },
        };
        long id;
        await using (var reader = await batch.ExecuteReaderAsync())
        {
            await reader.NextResultAsync(); // past the lock's row
            await reader.ReadAsync();
            id = reader.GetInt64(0);
        }
        await AnnounceAsync(connection, transaction, id);
        return id;
    }

    /// <summary>Writers hold the producer's notice cursor lock shared until commit (see <see cref="UserNoticeFeed.PageAsync"/>).</summary>
    internal static NpgsqlBatchCommand NoticeLock(long producerId) =>
        BatchCommand.Of("select pg_advisory_xact_lock_shared(@lockClass, @producerId::int4)", ("lockClass", CursorLockClass), ("producerId", producerId));

    internal static Task AnnounceAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long noticeId)
    {
        var payload = noticeId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return PostCommitNotifications.TryDefer(Channel, payload)
            ? Task.CompletedTask
            : connection.ExecuteAsync("select pg_notify(@channel, @payload)", new { channel = Channel, payload }, transaction);
    }

    private static Actor ActorOf(long? byUser) => byUser is { } by ? Actor.User(by) : Actor.Console;

    private static string Serialize(object value) => JsonSerializer.Serialize(value, Json);

    /// <summary>The notice as stored; the cursor and time are the row's own.</summary>
    internal sealed record StoredNotice(string UserId, string Kind, EnforcementState? Enforcement, AppealOutcome? Appeal, StatementOfReasons Statement);

    /// <summary>The action's name in the user's language, for notices that name it.</summary>
    public static string ActionName(string action, string language) => (action, language) switch
    {
        (EnforcementActions.Warn, "de") => "Verwarnung", (EnforcementActions.Warn, "fr") => "avertissement", (EnforcementActions.Warn, "es") => "advertencia",
        (EnforcementActions.Restrict, "de") => "Einschränkung", (EnforcementActions.Restrict, "fr") => "restriction", (EnforcementActions.Restrict, "es") => "restricción",
        (EnforcementActions.RequireVerification, "de") => "Verifizierungspflicht", (EnforcementActions.RequireVerification, "fr") => "vérification obligatoire",
        (EnforcementActions.RequireVerification, "es") => "verificación obligatoria",
        (EnforcementActions.Suspend, "de") => "Sperre", (EnforcementActions.Suspend, "fr") => "suspension", (EnforcementActions.Suspend, "es") => "suspensión",
        (EnforcementActions.Ban, "de") => "Kontoschließung", (EnforcementActions.Ban, "fr") => "fermeture du compte", (EnforcementActions.Ban, "es") => "cierre de la cuenta",
        (EnforcementActions.RequireVerification, _) => "verification requirement",
        (EnforcementActions.Ban, _) => "account closure",
        (EnforcementActions.Suspend, _) => "suspension",
        (EnforcementActions.Restrict, _) => "restriction",
        _ => "warning",
    };

    private const string RowSql =
        """
        select id, producer_id as producerid, user_id as userid, action, features, hourly_quota as hourlyquota, state,
               starts_at as startsat, ends_at as endsat, categories, reason, automated
        from enforcements where id = @enforcementId
        """;

    private static async Task<Row> RowAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long enforcementId) =>
        await connection.QuerySingleAsync<Row>(RowSql, new { enforcementId }, transaction);

    /// <summary>An enforcements row as Dapper reads it (text[] needs settable array properties).</summary>
    internal sealed class Row
    {
        public long Id { get; init; }
        public long ProducerId { get; init; }
        public string UserId { get; init; } = "";
        public string Action { get; init; } = "";
        public string[] Features { get; init; } = [];
        public int? HourlyQuota { get; init; }
        public string State { get; init; } = "";
        public DateTime? StartsAt { get; init; }
        public DateTime? EndsAt { get; init; }
        public string[] Categories { get; init; } = [];
        public string Reason { get; init; } = "";
        public bool Automated { get; init; }

        public EnforcementState ToState() => new(Id, Action, Features, HourlyQuota, State, Utc(StartsAt), Utc(EndsAt));

        private static DateTimeOffset? Utc(DateTime? at) => at is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null;
    }
}

/// <summary>A refused account action; the message names the field and says why. Nothing was changed.</summary>
public sealed class EnforcementException(string message) : Exception(message);
