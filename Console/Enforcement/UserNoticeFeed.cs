using System.Text.Json;
using Dapper;
using ModerationConsole.Data;

namespace ModerationConsole.Enforcement;

/// <summary>Reads account notices as producers receive them: by id (to push them) and by cursor (to catch up).</summary>
public sealed class UserNoticeFeed(Db db)
{
    public const int MaxPageSize = 1000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string Select = "select id, producer_id as producerid, notice::text as notice, created_at as createdat from user_notices";

    public Task<IReadOnlyList<(long ProducerId, UserNotice Notice)>> ByIdsAsync(IReadOnlyList<long> ids, CancellationToken ct) =>
        db.ReadAsync<IReadOnlyList<(long, UserNotice)>>(async connection =>
            (await connection.QueryAsync<Row>(Select + " where id = any(@ids) order by id", new { ids = ids.ToArray() }))
                .Select(r => (r.ProducerId, r.ToNotice())).ToList(), ct);

    /// <summary>The producer's notices after <paramref name="after"/>, in cursor order; <paramref name="userId"/> narrows to one user.</summary>
    /// <remarks>Read under the notices' cursor lock, exclusively, as decisions are (see <see cref="Decisions.DecisionFeed"/>).</remarks>
    public Task<UserNoticePage> PageAsync(long producerId, long after, int limit, string? userId, CancellationToken ct) =>
        db.InTransactionAsync(async (connection, transaction) =>
        {
            await connection.ExecuteAsync("select pg_advisory_xact_lock(@lockClass, @producerId::int4)",
                new { lockClass = EnforcementWriter.CursorLockClass, producerId }, transaction);
            var rows = (await connection.QueryAsync<Row>(
                Select + " where producer_id = @producerId and id > @after and (@userId::text is null or user_id = @userId) order by id limit @limit",
                new { producerId, after, limit, userId }, transaction)).Select(r => r.ToNotice()).ToList();
            return new UserNoticePage(rows, rows.Count > 0 ? rows[^1].Cursor : after);
        }, ct);

    /// <summary>Every notice sent about one user, newest first, for the account page.</summary>
    public Task<IReadOnlyList<UserNotice>> OfUserAsync(long producerId, string userId, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<UserNotice>>(async connection =>
            (await connection.QueryAsync<Row>(Select + " where producer_id = @producerId and user_id = @userId order by id desc limit 500",
                new { producerId, userId })).Select(r => r.ToNotice()).ToList(), ct);

    private sealed class Row
    {
        public long Id { get; init; }
        public long ProducerId { get; init; }
        public string Notice { get; init; } = "";
        public DateTime CreatedAt { get; init; }

        public UserNotice ToNotice()
        {
            var stored = JsonSerializer.Deserialize<EnforcementWriter.StoredNotice>(Notice, Json)!;
            return new UserNotice(Id, stored.UserId, stored.Kind, stored.Enforcement, stored.Appeal, stored.Statement,
                new DateTimeOffset(DateTime.SpecifyKind(CreatedAt, DateTimeKind.Utc)));
        }
    }
}
