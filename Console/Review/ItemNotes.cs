using System.Security.Claims;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Data;

namespace ModerationConsole.Review;

public sealed record ItemNote(long Id, string Author, DateTime WrittenAt, string Body);

/// <summary>
/// Internal notes on an item, a thread for the people who review it: seniors and admins on any item, a moderator on
/// the item they hold or have decided; auditors read them. Each note is written with its audit entry (text included),
/// and the platform never sees them.
/// </summary>
public sealed class ItemNotes(Db db)
{
    public const int MaxLength = 2000;

    public Task<IReadOnlyList<ItemNote>> ListAsync(ClaimsPrincipal user, long itemId, CancellationToken ct = default)
    {
        var readsAll = user.Satisfies(Policies.History);
        var userId = readsAll ? 0 : user.UserIdUnder(Policies.Review, "Your role may not read notes on items.");
        return db.ReadAsync<IReadOnlyList<ItemNote>>(async connection =>
        {
            if (!readsAll && !await WorksOnAsync(connection, null, itemId, userId))
                throw new UnauthorizedAccessException("You may read the notes of an item you hold or have decided.");
            return (await connection.QueryAsync<ItemNote>(
                """
                select n.id, u.email as author, n.written_at as writtenat, n.body
                from item_notes n join users u on u.id = n.author_id where n.item_id = @itemId order by n.id
                """, new { itemId })).AsList();
        }, ct);
    }

    public Task<ItemNote> AddAsync(ClaimsPrincipal user, long itemId, string? body, CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.Review, "Your role may not write notes on items.");
        var anyItem = user.Satisfies(Policies.Escalations);
        body = body?.Trim();
        if (string.IsNullOrEmpty(body)) throw new ReviewException("Write the note first.");
        if (body.Length > MaxLength) throw new ReviewException($"The note must be at most {MaxLength} characters (it has {body.Length}).");
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            if (!await connection.ExecuteScalarAsync<bool>("select exists (select 1 from review_items where id = @itemId)", new { itemId }, transaction))
                throw new ReviewException($"There is no item {itemId}.");
            if (!anyItem && !await WorksOnAsync(connection, transaction, itemId, userId))
                throw new UnauthorizedAccessException("You may write notes on an item you hold or have decided.");
            var note = await connection.QuerySingleAsync<ItemNote>(
                """
                with added as (insert into item_notes (item_id, author_id, body) values (@itemId, @userId, @body) returning id, author_id, written_at, body)
                select a.id, u.email as author, a.written_at as writtenat, a.body from added a join users u on u.id = a.author_id
                """, new { itemId, userId, body }, transaction);
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), AuditActions.ItemNoteAdded, itemId, new { noteId = note.Id, body });
            return note;
        }, ct);
    }

    /// <summary>A moderator's own items: the one they hold now, and those they decided.</summary>
    private static Task<bool> WorksOnAsync(Npgsql.NpgsqlConnection connection, Npgsql.NpgsqlTransaction? transaction, long itemId, long userId) =>
        connection.ExecuteScalarAsync<bool>(
            """
            select exists (select 1 from review_items where id = @itemId and claimed_by = @userId and claim_expires_at > now())
                or exists (select 1 from decisions where item_id = @itemId and decided_by = @userId)
            """, new { itemId, userId }, transaction);
}
