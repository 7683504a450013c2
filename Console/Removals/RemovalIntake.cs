using System.Security.Claims;
using Dapper;
using Microsoft.Extensions.Options;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Ingest;
using Npgsql;

namespace ModerationConsole.Removals;

/// <summary>
/// Takes removal requests in, from the producer's API and from the console's form, each checked field by field (every
/// problem named at once, nothing stored on any), given its deadline from <see cref="RemovalOptions"/>, and stored with
/// its audit entry. A producer's request id sent again answers the first receipt.
/// </summary>
public sealed class RemovalIntake(Db db, IOptions<RemovalOptions> options)
{
    public const int MaxText = 2000;
    public const int MaxShort = 500;
    public const int MaxItems = 1000;

    public Task<RemovalReceipt> SubmitAsync(long producerId, RemovalRequestBody body, CancellationToken ct = default)
    {
        var errors = new List<FieldError>();
        var requestId = Required(body.RequestId, "requestId", 200, errors);
        var fields = CheckCommon(body.RequesterKind, body.RequesterName, body.Contact, body.Ground, body.Details, body.UserId, errors);
        var generationIds = body.GenerationIds ?? [];
        if (generationIds.Count > MaxItems) errors.Add(new FieldError("generationIds", $"at most {MaxItems} generations per request"));
        for (var i = 0; i < generationIds.Count && i < MaxItems; i++)
            if (string.IsNullOrWhiteSpace(generationIds[i]) || generationIds[i].Length > 200)
                errors.Add(new FieldError($"generationIds[{i}]", "a generation id (1 to 200 characters)"));
        if (generationIds.Count == 0 && fields.UserId is null) errors.Add(new FieldError("generationIds", "name the generations, or the userId whose generations must come down"));
        if (errors.Count > 0) throw new FieldErrorsException(errors);

        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var existing = await connection.QuerySingleOrDefaultAsync<(long Id, DateTime ReceivedAt, DateTime DueAt)>(
                "select id, received_at, due_at from removal_requests where producer_id = @producerId and external_id = @requestId",
                new { producerId, requestId }, transaction);
            if (existing.Id != 0) return new RemovalReceipt(existing.Id, requestId!, "duplicate", existing.ReceivedAt, existing.DueAt);

            var found = (await connection.QueryAsync<(string GenerationId, long Id)>(
                "select generation_id, id from review_items where producer_id = @producerId and generation_id = any(@generationIds)",
                new { producerId, generationIds = generationIds.ToArray() }, transaction)).ToDictionary(r => r.GenerationId, r => r.Id);
            var unknown = generationIds.Select((g, i) => (g, i)).Where(x => !found.ContainsKey(x.g))
                .Select(x => new FieldError($"generationIds[{x.i}]", $"no generation '{x.g}' was received from this producer")).ToList();
            if (unknown.Count > 0) throw new FieldErrorsException(unknown);

            var (id, receivedAt, dueAt) = await InsertAsync(connection, transaction, producerId, requestId, "api", null, fields,
                generationIds.Select(g => found[g]).Distinct().ToArray());
            await AuditLog.AppendAsync(connection, transaction, Actor.Producer(producerId), RemovalAuditActions.Received, null,
                new { removalId = id, requestId, fields.Ground, dueAt });
            return new RemovalReceipt(id, requestId!, "received", receivedAt, dueAt);
        }, ct);
    }

    /// <summary>A request taken by staff (by email, letter or phone) and entered on the console's form; items by their console ids.</summary>
    public Task<long> EnterAsync(ClaimsPrincipal user, long? producerId, string? requesterKind, string? requesterName, string? contact, string? ground,
        string? details, string? itemIds, string? userId, CancellationToken ct = default)
    {
        var staff = user.UserIdUnder(Policies.Cases, "Your role may not enter removal requests.");
        var errors = new List<FieldError>();
        var fields = CheckCommon(requesterKind, requesterName, contact, ground, details, userId, errors);
        var items = new List<long>();
        var parts = (itemIds ?? "").Split([',', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var part in parts)
            if (long.TryParse(part.TrimStart('#'), out var itemId) && itemId > 0) items.Add(itemId);
            else errors.Add(new FieldError("itemIds", $"'{part}' is not an item number"));
        if (items.Count > MaxItems) errors.Add(new FieldError("itemIds", $"at most {MaxItems} items per request"));
        if (parts.Length == 0 && fields.UserId is null) errors.Add(new FieldError("itemIds", "name the items, or the user whose items must come down"));
        if (producerId is null) errors.Add(new FieldError("producer", "choose the producer the generations came from"));
        if (errors.Count > 0) throw new FieldErrorsException(errors);

        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var known = (await connection.QueryAsync<long>("select id from review_items where id = any(@ids) and producer_id = @producerId",
                new { ids = items.ToArray(), producerId }, transaction)).ToHashSet();
            var missing = items.Where(i => !known.Contains(i)).ToList();
            if (missing.Count > 0) throw new FieldErrorsException([new FieldError("itemIds", $"no item {string.Join(", ", missing)} of this producer")]);
            var (id, _, dueAt) = await InsertAsync(connection, transaction, producerId!.Value, null, "console", staff, fields, items.Distinct().ToArray());
            await AuditLog.AppendAsync(connection, transaction, Actor.User(staff), RemovalAuditActions.Received, null,
                new { removalId = id, fields.Ground, dueAt });
            return id;
        }, ct);
    }

    private sealed record Fields(string RequesterKind, string? RequesterName, string Contact, string Ground, string? Details, string? UserId);

    private static Fields CheckCommon(string? requesterKind, string? requesterName, string? contact, string? ground, string? details, string? userId,
        List<FieldError> errors)
    {
        if (requesterKind is not ("victim" or "representative")) errors.Add(new FieldError("requesterKind", "victim or representative"));
        if (ground is null || !RemovalGrounds.All.Contains(ground)) errors.Add(new FieldError("ground", $"one of {string.Join(", ", RemovalGrounds.All)}"));
        var checkedContact = Required(contact, "contact", MaxShort, errors);
        var name = Optional(requesterName, "requesterName", MaxShort, errors);
        var text = Optional(details, "details", MaxText, errors);
        var user = Optional(userId, "userId", 256, errors);
        return new Fields(requesterKind ?? "", name, checkedContact ?? "", ground ?? "", text, user);
    }

    private async Task<(long Id, DateTime ReceivedAt, DateTime DueAt)> InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        long producerId, string? externalId, string via, long? receivedBy, Fields fields, long[] itemIds) =>
        await connection.QuerySingleAsync<(long, DateTime, DateTime)>(
            """
            insert into removal_requests (producer_id, external_id, received_via, received_by, requester_kind, requester_name, contact, ground,
                                          details, item_ids, user_id, due_at)
            values (@producerId, @externalId, @via, @receivedBy, @RequesterKind, @RequesterName, @Contact, @Ground, @Details, @itemIds, @UserId,
                    now() + @deadline)
            returning id, received_at, due_at
            """, new
            {
                producerId, externalId, via, receivedBy, fields.RequesterKind, fields.RequesterName, fields.Contact, fields.Ground,
                fields.Details, itemIds, fields.UserId, deadline = options.Value.DeadlineFor(fields.Ground),
            }, transaction);

    private static string? Required(string? value, string field, int max, List<FieldError> errors)
    {
        value = value?.Trim();
        if (string.IsNullOrEmpty(value)) { errors.Add(new FieldError(field, "required")); return null; }
        if (value.Length > max) { errors.Add(new FieldError(field, $"at most {max} characters")); return null; }
        return value;
    }

    private static string? Optional(string? value, string field, int max, List<FieldError> errors)
    {
        value = value?.Trim();
        if (string.IsNullOrEmpty(value)) return null;
        if (value.Length > max) { errors.Add(new FieldError(field, $"at most {max} characters")); return null; }
        return value;
    }
}
