using System.Security.Claims;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using Npgsql;

namespace ModerationConsole.Retention;

public static class HoldScopes
{
    public const string Case = "case";
    public const string User = "user";
    public const string Item = "item";
}

public static class HoldAuditActions
{
    public const string Placed = "hold.placed";
    public const string Released = "hold.released";
}

/// <summary>A hold as lists show it; <see cref="Target"/> names what it covers.</summary>
public sealed class HoldSummary
{
    public long Id { get; init; }
    public string Scope { get; init; } = "";
    public long? CaseId { get; init; }
    public long? ProducerId { get; init; }
    public string? UserId { get; init; }
    public long? ItemId { get; init; }
    public string Reason { get; init; } = "";
    public string? PlacedBy { get; init; }
    public DateTime PlacedAt { get; init; }
    public DateTime? EndsAt { get; init; }
    public DateTime? ReleasedAt { get; init; }

    public string Target => Scope switch
    {
        HoldScopes.Case => $"case #{CaseId}",
        HoldScopes.User => $"user {UserId} (producer {ProducerId})",
        _ => $"item #{ItemId}",
    };
}

public sealed class HoldException(string message) : Exception(message);

/// <summary>
/// Legal holds: a case, a platform user or an item exempt from retention and from every delete path while the hold is in
/// force. Placing one (and anything that widens what a hold covers, such as an item joining a held case) takes
/// <see cref="RetentionLock"/> exclusively; each purge chunk takes it shared and reads the holds after it has it, so a
/// purge running while a hold is placed never removes what the hold covers.
/// </summary>
public sealed class LegalHolds(Db db)
{
    /// <summary>The advisory lock that orders holds against purge chunks.</summary>
    public const long RetentionLock = 0x7265_7465_6E74; // "retent"
    public const int MaxReasonLength = 2000;

    /// <summary>Waits for running purge chunks and keeps new ones out until the caller's transaction ends.</summary>
    public static Task WidenAsync(NpgsqlConnection connection, NpgsqlTransaction transaction) =>
        connection.ExecuteAsync("select pg_advisory_xact_lock(@RetentionLock)", new { RetentionLock }, transaction);

    /// <summary>Places a hold in the caller's transaction, audited; returns its id.</summary>
    public static async Task<long> PlaceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Actor actor, long? placedBy,
        string scope, long? caseId, long? producerId, string? userId, long? itemId, string reason, DateTimeOffset? endsAt)
    {
        await WidenAsync(connection, transaction);
        var id = await connection.ExecuteScalarAsync<long>(
            """
            insert into legal_holds (scope, case_id, producer_id, user_id, item_id, reason, placed_by, ends_at)
            values (@scope, @caseId, @producerId, @userId, @itemId, @reason, @placedBy, @endsAt) returning id
            """, new { scope, caseId, producerId, userId, itemId, reason, placedBy, endsAt = endsAt?.UtcDateTime }, transaction);
        await AuditLog.AppendAsync(connection, transaction, actor, HoldAuditActions.Placed, itemId,
            new { holdId = id, scope, caseId, producerId, userId, reason, endsAt });
        return id;
    }

    /// <summary>A senior or admin places a hold on a case, a platform user or an item, with a reason and an optional end.</summary>
    public Task<long> PlaceAsync(ClaimsPrincipal user, string scope, string target, long? producerId, string? reason, DateTimeOffset? endsAt,
        CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.Cases, "Your role may not place legal holds.");
        reason = reason?.Trim();
        if (string.IsNullOrEmpty(reason)) throw new HoldException("reason: say why the data must be kept (the matter, the request, the law).");
        if (reason.Length > MaxReasonLength) throw new HoldException($"reason: at most {MaxReasonLength} characters (it has {reason.Length}).");
        if (endsAt is { } end && end <= DateTimeOffset.UtcNow) throw new HoldException("endsAt: must be in the future, or empty for a hold without end.");
        target = target?.Trim() ?? "";
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            switch (scope)
            {
                case HoldScopes.Case:
                    if (!long.TryParse(target, out var caseId)) throw new HoldException("target: a case number.");
                    var kind = await connection.ExecuteScalarAsync<string?>("select kind from cases where id = @caseId", new { caseId }, transaction)
                               ?? throw new HoldException($"target: there is no case #{caseId}.");
                    Cases.CaseStore.RequireKind(user, kind);
                    return await PlaceAsync(connection, transaction, Actor.User(userId), userId, scope, caseId, null, null, null, reason, endsAt);
                case HoldScopes.Item:
                    if (!long.TryParse(target, out var itemId)) throw new HoldException("target: an item number.");
                    if (await connection.ExecuteScalarAsync<long?>("select id from review_items where id = @itemId", new { itemId }, transaction) is null)
                        throw new HoldException($"target: there is no item #{itemId}.");
                    return await PlaceAsync(connection, transaction, Actor.User(userId), userId, scope, null, null, null, itemId, reason, endsAt);
                case HoldScopes.User:
                    if (target.Length is 0 or > 256) throw new HoldException("target: the platform's user id (1 to 256 characters).");
                    if (producerId is not { } producer || await connection.ExecuteScalarAsync<long?>(
                            "select id from producers where id = @producer", new { producer }, transaction) is null)
                        throw new HoldException("producer: choose the producer whose user this is.");
                    return await PlaceAsync(connection, transaction, Actor.User(userId), userId, scope, null, producer, target, null, reason, endsAt);
                default:
                    throw new HoldException("scope: case, user or item.");
            }
        }, ct);
    }

    /// <summary>Releases a hold early, with a reason; a child-safety case's own hold cannot be released before its year is out.</summary>
    public Task ReleaseAsync(ClaimsPrincipal user, long holdId, string? reason, CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.Cases, "Your role may not release legal holds.");
        reason = reason?.Trim();
        if (string.IsNullOrEmpty(reason)) throw new HoldException("reason: say why the hold ends.");
        if (reason.Length > MaxReasonLength) throw new HoldException($"reason: at most {MaxReasonLength} characters.");
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var hold = await connection.QuerySingleOrDefaultAsync<(long Id, bool System, DateTime? EndsAt, string? Kind)>(
                """
                select h.id, h.placed_by is null, h.ends_at, c.kind from legal_holds h left join cases c on c.id = h.case_id
                where h.id = @holdId and h.released_at is null for update of h
                """, new { holdId }, transaction);
            if (hold.Id == 0) throw new HoldException($"There is no hold #{holdId} in force.");
            if (hold.Kind is { } kind) Cases.CaseStore.RequireKind(user, kind);
            if (hold.System && hold.EndsAt > DateTime.UtcNow)
                throw new HoldException($"This hold keeps a child-safety case for the period the law requires; it ends by itself on {hold.EndsAt:yyyy-MM-dd}.");
            await connection.ExecuteAsync(
                "update legal_holds set released_at = now(), released_by = @userId, release_reason = @reason where id = @holdId",
                new { holdId, userId, reason }, transaction);
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), HoldAuditActions.Released, null, new { holdId, reason });
            return 0;
        }, ct);
    }

    /// <summary>Holds in force now (child-safety cases' holds only for specialists), newest first.</summary>
    public Task<IReadOnlyList<HoldSummary>> InForceAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        user.UserIdUnder(Policies.Cases, "Your role may not see legal holds.");
        var childSafety = user.Satisfies(Policies.ChildSafety);
        return db.ReadAsync<IReadOnlyList<HoldSummary>>(async c => (await c.QueryAsync<HoldSummary>(
            $"""
            {SelectSql}
            where h.released_at is null and (h.ends_at is null or h.ends_at > now())
              and (@childSafety or c.kind is distinct from 'child_safety')
            order by h.id desc limit 1000
            """, new { childSafety })).AsList(), ct);
    }

    /// <summary>The holds on one case, released ones included.</summary>
    internal static async Task<IReadOnlyList<HoldSummary>> OfCaseAsync(NpgsqlConnection connection, long caseId) =>
        (await connection.QueryAsync<HoldSummary>($"{SelectSql} where h.case_id = @caseId order by h.id", new { caseId })).AsList();

    private const string SelectSql =
        """
        select h.id, h.scope, h.case_id as caseid, h.producer_id as producerid, h.user_id as userid, h.item_id as itemid, h.reason,
               u.email as placedby, h.placed_at as placedat, h.ends_at as endsat, h.released_at as releasedat
        from legal_holds h left join users u on u.id = h.placed_by left join cases c on c.id = h.case_id
        """;
}
