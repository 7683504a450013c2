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

    private static PolicyDocument Deserialize(string json) =>
        JsonSerializer.Deserialize<PolicyDocument>(json, Json) ?? throw new InvalidOperationException("The active policy document is empty.");
}
