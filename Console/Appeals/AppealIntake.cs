using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Decisions;
using ModerationConsole.Enforcement;
using ModerationConsole.Ingest;
using ModerationConsole.Policy;

namespace ModerationConsole.Appeals;

/// <summary>
/// Receives appeals from producers: checks each field, that the appealed decision or action is this user's, still
/// stands, is within the policy's appeal window and was not appealed before; then stores the appeal with its SLA
/// deadline and audit entry in one transaction. The producer's appeal id makes a resubmission harmless.
/// </summary>
public sealed class AppealIntake(Db db)
{
    public const int MaxStatement = 5000;
    public const int MaxIdLength = 128;

    /// <summary>Stores the appeal, or refuses it with a <see cref="FieldErrorsException"/> naming each field (nothing stored).</summary>
    public async Task<AppealReceipt> SubmitAsync(long producerId, AppealRequest request, CancellationToken ct = default)
    {
        var errors = new List<FieldError>();
        var appealId = Identifier(errors, "appealId", request.AppealId);
        var userId = Identifier(errors, "userId", request.UserId);
        if (request.DecisionCursor is null == request.EnforcementId is null)
            errors.Add(new FieldError("decisionCursor", "give either decisionCursor (a decision's cursor) or enforcementId, not both and not neither"));
        if (request.DecisionCursor is < 1) errors.Add(new FieldError("decisionCursor", "must be a decision's cursor, a positive integer"));
        if (request.EnforcementId is < 1) errors.Add(new FieldError("enforcementId", "must be an enforcement id, a positive integer"));
        var statement = request.Statement?.Trim();
        if (string.IsNullOrEmpty(statement)) errors.Add(new FieldError("statement", "is required: what the user says"));
        else if (statement.Length > MaxStatement) errors.Add(new FieldError("statement", $"must be at most {MaxStatement} characters (it has {statement.Length})"));
        else if (statement.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
            errors.Add(new FieldError("statement", "must not contain control characters other than line breaks and tabs"));
        if (request.Language is { } lang && (lang.Length is < 2 or > 35 || !lang.Split('-').All(p => p.Length >= 2 && p.All(char.IsAsciiLetterOrDigit))))
            errors.Add(new FieldError("language", $"must be a BCP 47 language tag such as \"de\" or \"pt-BR\""));
        if (errors.Count > 0) throw new FieldErrorsException(errors);

        try
        {
            return await StoreAsync(producerId, request, appealId!, userId!, statement!, ct);
        }
        catch (Npgsql.PostgresException ex) when (ex.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation)
        {
            // The same appeal, or another of the same decision, committed between our check and our insert: asked
            // again, the check now sees it and answers as for any resubmission.
            return await StoreAsync(producerId, request, appealId!, userId!, statement!, ct);
        }
    }

    private Task<AppealReceipt> StoreAsync(long producerId, AppealRequest request, string appealId, string userId, string statement,
        CancellationToken ct) =>
        db.InTransactionAsync(async (connection, transaction) =>
        {
            var existing = await connection.QuerySingleOrDefaultAsync<Existing>(
                """
                select user_id as userid, decision_id as decisionid, enforcement_id as enforcementid, received_at as receivedat, due_at as dueat
                from appeals where producer_id = @producerId and appeal_id = @appealId
                """, new { producerId, appealId }, transaction);
            if (existing is not null)
                return existing.UserId == userId && existing.DecisionId == request.DecisionCursor && existing.EnforcementId == request.EnforcementId
                    ? new AppealReceipt(appealId, "duplicate", Utc(existing.ReceivedAt), Utc(existing.DueAt))
                    : throw FieldErrorsException.Of("appealId", "was already used for another appeal; use a new id for a new appeal");

            var rules = (await PolicyStore.LoadActiveAsync(connection, transaction)).Document.Enforcement;
            var (decidedAt, field) = request.DecisionCursor is { } cursor
                ? (await CheckDecisionAsync(connection, transaction, producerId, userId, cursor), "decisionCursor")
                : (await CheckEnforcementAsync(connection, transaction, producerId, userId, request.EnforcementId!.Value), "enforcementId");
            if (Utc(decidedAt).AddDays(rules.AppealWindowDays) < DateTimeOffset.UtcNow)
                throw FieldErrorsException.Of(field, $"the appeal window of {rules.AppealWindowDays} days after the decision has closed");
            var before = await connection.QuerySingleOrDefaultAsync<Existing>(
                """
                select appeal_id as appealid, user_id as userid, decision_id as decisionid, enforcement_id as enforcementid,
                       received_at as receivedat, due_at as dueat
                from appeals where producer_id = @producerId and (decision_id = @decision or enforcement_id = @enforcement)
                """, new { producerId, decision = request.DecisionCursor, enforcement = request.EnforcementId }, transaction);
            // The same appeal may have committed since the first look (sent twice at once): then it is a resubmission.
            if (before?.AppealId == appealId && before.UserId == userId)
                return new AppealReceipt(appealId, "duplicate", Utc(before.ReceivedAt), Utc(before.DueAt));
            if (before is not null) throw FieldErrorsException.Of(field, $"was appealed already (appeal {before.AppealId}); a decision is appealed once");

            var row = await connection.QuerySingleAsync<(long Id, DateTime ReceivedAt, DateTime DueAt)>(
                """
                insert into appeals (producer_id, appeal_id, user_id, decision_id, enforcement_id, statement, language, due_at)
                values (@producerId, @appealId, @userId, @decision, @enforcement, @statement, @language, now() + make_interval(hours => @sla))
                returning id, received_at, due_at
                """, new
                {
                    producerId, appealId, userId, decision = request.DecisionCursor, enforcement = request.EnforcementId, statement,
                    language = NoticeTemplates.LanguageOf(request.Language), sla = rules.AppealSlaHours,
                }, transaction);
            await AuditLog.AppendAsync(connection, transaction, Actor.Producer(producerId), AuditActions.AppealReceived,
                await ItemOfAsync(connection, transaction, request.DecisionCursor, request.EnforcementId),
                new { appealId = row.Id, producerAppealId = appealId, userId, decisionId = request.DecisionCursor, enforcementId = request.EnforcementId });
            await QueueSignals.NotifyAsync(connection, transaction);
            return new AppealReceipt(appealId, "received", Utc(row.ReceivedAt), Utc(row.DueAt));
        }, ct);

    private static async Task<DateTime> CheckDecisionAsync(Npgsql.NpgsqlConnection connection, Npgsql.NpgsqlTransaction transaction,
        long producerId, string userId, long cursor)
    {
        var d = await connection.QuerySingleOrDefaultAsync<(string Decision, DateTime DecidedAt, string UserId, long? OverturnedBy)?>(
            """
            select d.decision, d.decided_at, r.user_id, (select o.id from decisions o where o.overturns = d.id)
            from decisions d join review_items r on r.id = d.item_id where d.id = @cursor and d.producer_id = @producerId
            """, new { cursor, producerId }, transaction);
        if (d is not { } decision || decision.UserId != userId)
            throw FieldErrorsException.Of("decisionCursor", $"there is no decision {cursor} about this user's generations");
        if (decision.OverturnedBy is { } later)
            throw FieldErrorsException.Of("decisionCursor", $"decision {cursor} was overturned by decision {later}; appeal that one if it still stands against the user");
        if (decision.Decision != DecisionKinds.Blocked)
            throw FieldErrorsException.Of("decisionCursor", $"decision {cursor} approved the generation; there is nothing to appeal");
        return decision.DecidedAt;
    }

    private static async Task<DateTime> CheckEnforcementAsync(Npgsql.NpgsqlConnection connection, Npgsql.NpgsqlTransaction transaction,
        long producerId, string userId, long enforcementId)
    {
        var e = await connection.QuerySingleOrDefaultAsync<(string State, DateTime? StartsAt, string UserId)?>(
            "select state, starts_at, user_id from enforcements where id = @enforcementId and producer_id = @producerId",
            new { enforcementId, producerId }, transaction);
        if (e is not { } action || action.UserId != userId)
            throw FieldErrorsException.Of("enforcementId", $"there is no action {enforcementId} on this user's account");
        if (action.State != "active" || action.StartsAt is null)
            throw FieldErrorsException.Of("enforcementId", $"action {enforcementId} is not in force ({action.State}); there is nothing to appeal");
        return action.StartsAt.Value;
    }

    private static Task<long?> ItemOfAsync(Npgsql.NpgsqlConnection connection, Npgsql.NpgsqlTransaction transaction, long? decisionId, long? enforcementId) =>
        connection.ExecuteScalarAsync<long?>(
            """
            select coalesce((select item_id from decisions where id = @decisionId),
                            (select d.item_id from enforcements e join decisions d on d.id = e.decision_id where e.id = @enforcementId))
            """, new { decisionId, enforcementId }, transaction);

    private static string? Identifier(List<FieldError> errors, string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) { errors.Add(new FieldError(field, "is required")); return null; }
        if (value.Length > MaxIdLength || value.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            errors.Add(new FieldError(field, $"must be 1 to {MaxIdLength} characters without spaces or control characters"));
            return null;
        }
        return value;
    }

    private static DateTimeOffset Utc(DateTime at) => new(DateTime.SpecifyKind(at, DateTimeKind.Utc));

    private sealed class Existing
    {
        public string AppealId { get; init; } = "";
        public string UserId { get; init; } = "";
        public long? DecisionId { get; init; }
        public long? EnforcementId { get; init; }
        public DateTime ReceivedAt { get; init; }
        public DateTime DueAt { get; init; }
    }
}
