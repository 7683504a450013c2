using System.Globalization;
using System.Security.Claims;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using Npgsql;

namespace ModerationConsole.Producers;

public sealed record Producer(long Id, string Name, string KeyPrefix, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>The new producer and its key, which exists only here: the database keeps its hash.</summary>
public sealed record CreatedProducer(Producer Producer, string ApiKey);

public sealed class ProducerStore(Db db)
{
    /// <summary>
    /// Notified (after commit, with the producer's id) when a key is replaced or revoked, so every console instance
    /// closes the hub connections opened with the old key at once rather than at its next periodic check.
    /// </summary>
    public const string KeyChangedChannel = "producer_key_changed";

    /// <summary>An admin creates a producer (the Producers page); anyone else is refused here, not only by the page.</summary>
    public Task<CreatedProducer> CreateAsync(ClaimsPrincipal admin, string name, CancellationToken ct = default) =>
        CreateAsync(name, admin.ActorUnder(Policies.Admin), ct);

    /// <summary>An admin replaces a producer's key.</summary>
    public Task<CreatedProducer?> RotateKeyAsync(ClaimsPrincipal admin, string name, CancellationToken ct = default) =>
        RotateKeyAsync(name, admin.ActorUnder(Policies.Admin), ct);

    /// <summary>An admin revokes a producer's key.</summary>
    public Task<bool> RevokeAsync(ClaimsPrincipal admin, string name, CancellationToken ct = default) =>
        RevokeAsync(name, admin.ActorUnder(Policies.Admin), ct);

    /// <summary>Creates a producer as <paramref name="actor"/> (the command line, or an admin already checked).</summary>
    public Task<CreatedProducer> CreateAsync(string name, Actor actor, CancellationToken ct = default)
    {
        name = name.Trim();
        if (name.Length is 0 or > 100)
            throw new ArgumentException("name: must be 1 to 100 characters", nameof(name));

        var key = ApiKeys.NewKey();
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            if (await connection.ExecuteScalarAsync<bool>("select exists (select 1 from producers where name = @name)", new { name }, transaction))
                throw new ArgumentException($"name: a producer called '{name}' already exists", nameof(name));
            var producer = await connection.QuerySingleAsync<Producer>(
                """
                insert into producers (name, key_hash, key_prefix) values (@name, @hash, @prefix)
                returning id, name, key_prefix as keyprefix, created_at as createdat, revoked_at as revokedat
                """,
                new { name, hash = ApiKeys.Hash(key), prefix = ApiKeys.DisplayPrefix(key) }, transaction);
            await AuditLog.AppendAsync(connection, transaction, actor, AuditActions.ProducerCreated,
                details: new { producerId = producer.Id, producer.Name, producer.KeyPrefix });
            return new CreatedProducer(producer, key);
        }, ct);
    }

    /// <summary>Replaces the producer's key: the old one stops working at once. Returns the new key, shown once.</summary>
    public Task<CreatedProducer?> RotateKeyAsync(string name, Actor actor, CancellationToken ct = default)
    {
        var key = ApiKeys.NewKey();
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var producer = await connection.QuerySingleOrDefaultAsync<Producer>(
                """
                update producers set key_hash = @hash, key_prefix = @prefix where name = @name and revoked_at is null
                returning id, name, key_prefix as keyprefix, created_at as createdat, revoked_at as revokedat
                """,
                new { name, hash = ApiKeys.Hash(key), prefix = ApiKeys.DisplayPrefix(key) }, transaction);
            if (producer is null) return null;
            await AuditLog.AppendAsync(connection, transaction, actor, AuditActions.ProducerKeyRotated,
                details: new { producerId = producer.Id, producer.Name, producer.KeyPrefix });
            await NotifyKeyChangedAsync(connection, transaction, producer.Id);
            return new CreatedProducer(producer, key);
        }, ct);
    }

    public Task<IReadOnlyList<Producer>> ListAsync(CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<Producer>>(async connection => (await connection.QueryAsync<Producer>(
            "select id, name, key_prefix as keyprefix, created_at as createdat, revoked_at as revokedat from producers order by name")).AsList(), ct);

    /// <summary>Revokes the producer's key for good (new requests and connections are refused); audited. False when unknown or already revoked.</summary>
    public Task<bool> RevokeAsync(string name, Actor actor, CancellationToken ct = default) =>
        db.InTransactionAsync(async (connection, transaction) =>
        {
            var id = await connection.ExecuteScalarAsync<long?>(
                "update producers set revoked_at = now() where name = @name and revoked_at is null returning id", new { name }, transaction);
            if (id is null) return false;
            await AuditLog.AppendAsync(connection, transaction, actor, AuditActions.ProducerRevoked, details: new { producerId = id, name });
            await NotifyKeyChangedAsync(connection, transaction, id.Value);
            return true;
        }, ct);

    private static Task NotifyKeyChangedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long producerId) =>
        PostCommitNotifications.TryDefer(KeyChangedChannel, producerId.ToString(CultureInfo.InvariantCulture))
            ? Task.CompletedTask
            : connection.ExecuteAsync("select pg_notify(@channel, @producerId::text)", new { channel = KeyChangedChannel, producerId }, transaction);

    /// <summary>The current key hash of each of <paramref name="producerIds"/> that is not revoked.</summary>
    public Task<IReadOnlyDictionary<long, byte[]>> LiveKeysAsync(IReadOnlyCollection<long> producerIds, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyDictionary<long, byte[]>>(async connection =>
            (await connection.QueryAsync<(long Id, byte[] KeyHash)>(
                "select id, key_hash from producers where id = any(@producerIds) and revoked_at is null",
                new { producerIds = producerIds.ToArray() }))
            .ToDictionary(p => p.Id, p => p.KeyHash), ct);

    /// <summary>The producer owning <paramref name="apiKey"/>, or null for an unknown or revoked key.</summary>
    /// <summary>The producer whose live key has this SHA-256 (<see cref="ApiKeys.Hash"/>), or null.</summary>
    public Task<Producer?> AuthenticateAsync(byte[] keyHash, CancellationToken ct = default) =>
        db.ReadAsync(connection => connection.QuerySingleOrDefaultAsync<Producer>(
            """
            select id, name, key_prefix as keyprefix, created_at as createdat, revoked_at as revokedat
            from producers where key_hash = @hash and revoked_at is null
            """,
            new { hash = keyHash }), ct);
}
