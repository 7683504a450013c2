using System.Text.Json;
using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using Npgsql;

namespace ModerationConsole.Policy;

/// <summary>Reads the active policy, and on a new database installs the configured default as version 1.</summary>
public sealed class PolicyStore(Db db)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<ActivePolicy> LoadActiveAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        var row = await connection.QuerySingleOrDefaultAsync<(int Version, string Document)>(
            "select version, document::text from policies where active", transaction: transaction);
        if (row.Document is null)
            throw new InvalidOperationException("There is no active policy; start the console once (or run 'migrate') to install the default.");
        return new ActivePolicy(row.Version, Deserialize(row.Document));
    }

    public Task<ActivePolicy> LoadActiveAsync(CancellationToken ct = default) =>
        db.ReadAsync(connection => LoadActiveAsync(connection, null), ct);

    private volatile ActivePolicy? remembered;

    /// <summary>
    /// The active policy as this instance last read it, without a round trip. It may be stale (another instance saved a
    /// new version): a writer that relies on it checks its version in its own transaction (<see cref="IsStillActiveSql"/>)
    /// and, when that fails, calls <see cref="Forget"/> and starts again.
    /// </summary>
    public async Task<ActivePolicy> RememberedActiveAsync(CancellationToken ct = default) =>
        remembered ??= await LoadActiveAsync(ct);

    public void Forget() => remembered = null;

    /// <summary>Fails the statement (SQLSTATE MC001, <see cref="PolicyChanged"/>) unless version @policyVersion is still the active one.</summary>
    public const string IsStillActiveSql = "select require_that((select version from policies where active) = @policyVersion, @policyChanged)";

    public const string PolicyChanged = "the policy changed";

    /// <summary>Installs <paramref name="document"/> as version 1 when the database has no policy yet; otherwise does nothing.</summary>
    public Task EnsureInstalledAsync(PolicyDocument document, CancellationToken ct = default)
    {
        var problems = document.Validate();
        if (problems.Count > 0)
            throw new InvalidOperationException("The configured policy is invalid: " + string.Join("; ", problems));

        return db.InTransactionAsync(async (connection, transaction) =>
        {
            // Serialise concurrent first starts of several instances on the same table lock.
            await connection.ExecuteAsync("lock table policies in exclusive mode", transaction: transaction);
            if (await connection.ExecuteScalarAsync<bool>("select exists (select 1 from policies)", transaction: transaction))
                return 0;
            await connection.ExecuteAsync(
                "insert into policies (version, document, active, reason) values (1, @document::jsonb, true, 'default policy installed at first start')",
                new { document = JsonSerializer.Serialize(document, Json) }, transaction);
            await AuditLog.AppendAsync(connection, transaction, Actor.Console, AuditActions.PolicyActivated, details: new { version = 1 });
            return 1;
        }, ct);
    }

    public sealed class VersionRow
    {
        public int Version { get; init; }
        public bool Active { get; init; }
        public DateTime CreatedAt { get; init; }
        public string? CreatedBy { get; init; }
        public string Reason { get; init; } = "";
    }

    public Task<IReadOnlyList<VersionRow>> VersionsAsync(CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<VersionRow>>(async c => (await c.QueryAsync<VersionRow>(
            """
            select p.version, p.active, p.created_at as createdat, u.email as createdby, p.reason
            from policies p left join users u on u.id = p.created_by order by p.version desc
            """)).AsList(), ct);

    public Task<PolicyDocument?> DocumentAsync(int version, CancellationToken ct = default) =>
        db.ReadAsync<PolicyDocument?>(async c =>
            await c.ExecuteScalarAsync<string?>("select document::text from policies where version = @version", new { version }) is { } json
                ? Deserialize(json) : null, ct);

    /// <summary>
    /// Makes <paramref name="document"/> the active policy as a new version, with who and why, audited with the previous
    /// version's number. Routing of new items uses it at once; the pending backlog is re-routed by a job.
    /// </summary>
    public Task<int> ActivateAsync(PolicyDocument document, string reason, long userId, CancellationToken ct = default)
    {
        var problems = document.Validate().ToList();
        if (string.IsNullOrWhiteSpace(reason)) problems.Add("reason: say why the policy changes");
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems));

        return db.InTransactionAsync(async (connection, transaction) =>
        {
            // One change at a time: two admins saving at once get consecutive versions, never the same number.
            await connection.ExecuteAsync("lock table policies in exclusive mode", transaction: transaction);
            var previous = await connection.ExecuteScalarAsync<int?>("select version from policies where active", transaction: transaction);
            var version = await connection.ExecuteScalarAsync<int>("select coalesce(max(version), 0) + 1 from policies", transaction: transaction);
            await connection.ExecuteAsync("update policies set active = false where active", transaction: transaction);
            await connection.ExecuteAsync(
                "insert into policies (version, document, active, created_by, reason) values (@version, @document::jsonb, true, @userId, @reason)",
                new { version, document = JsonSerializer.Serialize(document, Json), userId, reason = reason.Trim() }, transaction);
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), AuditActions.PolicyActivated,
                details: new { version, previous, reason = reason.Trim() });
            remembered = null;
            return version;
        }, ct);
    }

    /// <summary>Restores an old version by activating a copy of it as the newest version: history only grows.</summary>
    public async Task<int> RestoreAsync(int version, string reason, long userId, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(reason)) throw new ArgumentException("reason: say why the old version comes back");
        var document = await DocumentAsync(version, ct) ?? throw new ArgumentException($"version: there is no policy version {version}");
        return await ActivateAsync(document, $"restore of version {version}: {reason}", userId, ct);
    }

    private static PolicyDocument Deserialize(string json) =>
        JsonSerializer.Deserialize<PolicyDocument>(json, Json) ?? throw new InvalidOperationException("The active policy document is empty.");
}
