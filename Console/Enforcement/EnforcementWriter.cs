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
public static class EnforcementWriter
{
    public const string Channel = "user_notices";
    internal const int CursorLockClass = 0x4D45; // "ME": the notices' cursor, apart from the decisions' (0x4D43)

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<long> ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, PolicyDocument policy, NewEnforcement e)
    {
        var proposed = e.Origin == Ladder.OriginLadder && !e.Step.Automatic;
        var automated = e.ByUser is null;
        var id = await connection.ExecuteScalarAsync<long>(
            """
            insert into enforcements (producer_id, user_id, action, features, hourly_quota, state, origin, step_threshold, decision_id,
                                      categories, reason, automated, created_by, duration, starts_at, ends_at)
            values (@ProducerId, @UserId, @action, @features, @quota, @state, @Origin, @threshold, @DecisionId, @categories, @Reason,
                    @automated, @ByUser, @duration, case when @proposed then null else now() end,
                    case when @proposed then null else now() + @duration end)
            returning id
            """,
            new
            {
                e.ProducerId, e.UserId, action = e.Step.Action, features = e.Step.Features.ToArray(), quota = e.Step.HourlyQuota,
                state = proposed ? "proposed" : "active", e.Origin,
                threshold = e.Origin == Ladder.OriginLadder ? e.Step.Threshold : (int?)null, e.DecisionId,
                categories = e.Categories.ToArray(), e.Reason, automated, e.ByUser,
                duration = e.Step.DurationHours is { } h ? TimeSpan.FromHours(h) : (TimeSpan?)null, proposed,
            }, transaction);
        await AuditLog.AppendAsync(connection, transaction, e.ByUser is { } by ? Actor.User(by) : Actor.Console,
            proposed ? AuditActions.EnforcementProposed : AuditActions.EnforcementApplied, details: new
            {
                enforcementId = id, producerId = e.ProducerId, userId = e.UserId, action = e.Step.Action, features = e.Step.Features,
                hourlyQuota = e.Step.HourlyQuota, durationHours = e.Step.DurationHours, origin = e.Origin, threshold = e.Step.Threshold,
                decisionId = e.DecisionId, categories = e.Categories, reason = e.Reason, strikeWeight = e.StrikeWeight,
            });
        if (!proposed)
            await NotifyAppliedAsync(connection, transaction, policy, id, e.Facts, e.StrikeWeight);
        return id;
    }

    /// <summary>A senior confirms a proposal: it comes into force now, for its duration, and the platform is told.</summary>
    public static async Task ConfirmAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, PolicyDocument policy, long enforcementId, long byUser, string? note)
    {
        var confirmed = await connection.ExecuteAsync(
            "update enforcements set state = 'active', starts_at = now(), ends_at = now() + duration where id = @enforcementId and state = 'proposed'",
            new { enforcementId }, transaction);
        if (confirmed == 0) throw new EnforcementException("enforcement: only a proposal can be confirmed; this one was confirmed, dismissed or lifted already.");
        await AuditLog.AppendAsync(connection, transaction, Actor.User(byUser), AuditActions.EnforcementConfirmed, details: new { enforcementId, note });
        await NotifyAppliedAsync(connection, transaction, policy, enforcementId, [], null);
    }

    /// <summary>
    /// Ends an action early (a person, with a reason) or because it no longer holds (the ladder after an overturn). A
    /// proposal is dismissed instead, and the platform, which never heard of it, is not told.
    /// </summary>
    public static async Task LiftAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long enforcementId, long? byUser, string reason,
        long? appealId = null)
    {
        var row = await connection.QuerySingleOrDefaultAsync<(string State, long ProducerId, string UserId)>(
            "select state, producer_id, user_id from enforcements where id = @enforcementId for update", new { enforcementId }, transaction);
        if (row.State is null) throw new EnforcementException($"enforcement: there is no enforcement {enforcementId}.");
        if (row.State is "lifted" or "dismissed") throw new EnforcementException($"enforcement: {enforcementId} was {row.State} already.");
        var dismissed = row.State == "proposed";
        await connection.ExecuteAsync(
            "update enforcements set state = @state, lifted_at = now(), lifted_by = @byUser, lift_reason = @reason where id = @enforcementId",
            new { enforcementId, byUser, reason, state = dismissed ? "dismissed" : "lifted" }, transaction);
        await AuditLog.AppendAsync(connection, transaction, byUser is { } by ? Actor.User(by) : Actor.Console,
            dismissed ? AuditActions.EnforcementDismissed : AuditActions.EnforcementLifted,
            details: new { enforcementId, producerId = row.ProducerId, userId = row.UserId, reason, appealId });
        if (dismissed) return;

        var enforcement = await StateAsync(connection, transaction, enforcementId);
        var language = await LanguageAsync(connection, transaction, row.ProducerId, row.UserId);
        var (title, body) = await NoticeTemplates.WordingAsync(connection, transaction, NoticeKinds.Lifted, enforcement.Categories, language);
        var values = new Dictionary<string, string?> { ["action"] = ActionName(enforcement.State.Action, language) };
        await AddNoticeAsync(connection, transaction, row.ProducerId, row.UserId, "enforcement_lifted", enforcementId, null, enforcement.State with { State = "lifted" }, null,
            new StatementOfReasons(language, NoticeTemplates.Fill(title, values), NoticeTemplates.Fill(body, values),
                new NoticeFacts([], enforcement.Categories, null), reason, byUser is null, new Redress(null, RedressNone)));
    }

    private static async Task NotifyAppliedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, PolicyDocument policy,
        long enforcementId, IReadOnlyList<long> facts, int? strikeWeight)
    {
        var e = await StateAsync(connection, transaction, enforcementId);
        var language = await LanguageAsync(connection, transaction, e.ProducerId, e.UserId);
        var (title, body) = await NoticeTemplates.WordingAsync(connection, transaction, e.State.Action, e.Categories, language);
        var appealUntil = DateTimeOffset.UtcNow.AddDays(policy.Enforcement.AppealWindowDays);
        var ground = e.Categories.Count > 0 ? PendingDecision.StatementOfReasons(policy, e.Categories) : e.Reason;
        var values = new Dictionary<string, string?>
        {
            ["ground"] = ground,
            ["categories"] = string.Join(", ", e.Categories.Select(c => policy.Find(c)?.Label ?? c)),
            ["features"] = string.Join(", ", e.State.Features),
            ["quota"] = e.State.HourlyQuota is { } q ? $"({q}/h)" : null,
            ["until"] = e.State.EndsAt is { } until ? NoticeTemplates.FormatDate(until, language) : null,
            ["appealUntil"] = NoticeTemplates.FormatDate(appealUntil, language),
            ["action"] = ActionName(e.State.Action, language),
        };
        await AddNoticeAsync(connection, transaction, e.ProducerId, e.UserId, "enforcement_applied", enforcementId, null, e.State, null,
            new StatementOfReasons(language, NoticeTemplates.Fill(title, values), NoticeTemplates.Fill(body, values),
                new NoticeFacts(facts, e.Categories, strikeWeight), ground, e.Automated, new Redress(appealUntil, RedressAppeal)));
    }

    /// <summary>How a user seeks redress, for the statement: the platform's appeal, which reaches this console's appeals queue.</summary>
    public const string RedressAppeal = "internal_complaint";
    public const string RedressNone = "none";

    /// <summary>Stores a notice for the platform and announces it after commit.</summary>
    public static async Task<long> AddNoticeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long producerId, string userId,
        string kind, long? enforcementId, long? appealId, EnforcementState? enforcement, AppealOutcome? appeal, StatementOfReasons statement)
    {
        await connection.ExecuteAsync("select pg_advisory_xact_lock_shared(@lockClass, @producerId::int4)",
            new { lockClass = CursorLockClass, producerId }, transaction);
        var notice = JsonSerializer.Serialize(new StoredNotice(userId, kind, enforcement, appeal, statement), Json);
        var id = await connection.ExecuteScalarAsync<long>(
            """
            insert into user_notices (producer_id, user_id, kind, enforcement_id, appeal_id, notice)
            values (@producerId, @userId, @kind, @enforcementId, @appealId, @notice::jsonb) returning id
            """, new { producerId, userId, kind, enforcementId, appealId, notice }, transaction);
        var payload = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!PostCommitNotifications.TryDefer(Channel, payload))
            await connection.ExecuteAsync("select pg_notify(@channel, @payload)", new { channel = Channel, payload }, transaction);
        return id;
    }

    /// <summary>The notice as stored; the cursor and time are the row's own.</summary>
    internal sealed record StoredNotice(string UserId, string Kind, EnforcementState? Enforcement, AppealOutcome? Appeal, StatementOfReasons Statement);

    /// <summary>The user's language as the producer last gave it with a generation; English when it never did.</summary>
    public static async Task<string> LanguageAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long producerId, string userId) =>
        NoticeTemplates.LanguageOf(await connection.ExecuteScalarAsync<string?>(
            """
            select language from review_items where producer_id = @producerId and user_id = @userId and language is not null
            order by id desc limit 1
            """, new { producerId, userId }, transaction));

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

    private sealed record EnforcementRow(long ProducerId, string UserId, EnforcementState State, IReadOnlyList<string> Categories, string Reason, bool Automated);

    private static async Task<EnforcementRow> StateAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long enforcementId)
    {
        var r = await connection.QuerySingleAsync<Row>(
            """
            select id, producer_id as producerid, user_id as userid, action, features, hourly_quota as hourlyquota, state,
                   starts_at as startsat, ends_at as endsat, categories, reason, automated
            from enforcements where id = @enforcementId
            """, new { enforcementId }, transaction);
        return new EnforcementRow(r.ProducerId, r.UserId, r.ToState(), r.Categories, r.Reason, r.Automated);
    }

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
