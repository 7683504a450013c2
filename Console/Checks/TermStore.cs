using System.Security.Claims;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Policy;

namespace ModerationConsole.Checks;

/// <summary>The term lists admins keep against prompts: added, enforced or shadowed, removed; each change audited.</summary>
public sealed class TermStore(Db db, PolicyStore policies)
{
    private const string Refusal = "Only admins change the term lists.";

    public Task<IReadOnlyList<CheckTerm>> ListAsync(CancellationToken ct = default) => db.ReadAsync(ListAsync, ct);

    internal static async Task<IReadOnlyList<CheckTerm>> ListAsync(Npgsql.NpgsqlConnection connection) =>
        (await connection.QueryAsync<CheckTerm>("select id, term, category, matching, action, shadow from check_terms order by category, term")).AsList();

    /// <summary>Adds a term (in shadow when asked: matched and reported on checks, not enforced). Field-named errors.</summary>
    public async Task<long> AddAsync(ClaimsPrincipal user, string term, string category, string matching, string action, bool shadow,
        CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.Admin, Refusal);
        term = term.Trim();
        var problems = new List<string>();
        if (term.Length is 0 or > 200) problems.Add("term: must be 1 to 200 characters");
        if (term.Any(char.IsControl)) problems.Add("term: must not contain control characters");
        if (matching == "normalised" && PromptNormalizer.Normalise(term).Length == 0) problems.Add("term: has no letters or digits to match once normalised");
        if (!CheckTerm.Matchings.Contains(matching)) problems.Add($"matching: must be one of {string.Join(", ", CheckTerm.Matchings)}");
        if (!CheckTerm.Actions.Contains(action)) problems.Add($"action: must be one of {string.Join(", ", CheckTerm.Actions)}");
        if ((await policies.LoadActiveAsync(ct)).Document.Find(category) is null) problems.Add($"category: '{category}' is not a category of the policy");
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems));
        return await db.InTransactionAsync(async (connection, transaction) =>
        {
            var id = await connection.ExecuteScalarAsync<long?>(
                """
                insert into check_terms (term, category, matching, action, shadow, created_by) values (@term, @category, @matching, @action, @shadow, @userId)
                on conflict (term, matching) do nothing returning id
                """, new { term, category, matching, action, shadow, userId }, transaction)
                ?? throw new ArgumentException($"term: '{term}' is listed already with {matching} matching");
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), AuditActions.CheckTermAdded,
                details: new { id, term, category, matching, action, shadow });
            return id;
        }, ct);
    }

    /// <summary>Enforces a shadow term, or puts an enforced one back in shadow.</summary>
    public Task SetShadowAsync(ClaimsPrincipal user, long id, bool shadow, CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.Admin, Refusal);
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var term = await connection.QuerySingleOrDefaultAsync<string>(
                "update check_terms set shadow = @shadow where id = @id returning term", new { id, shadow }, transaction)
                ?? throw new ArgumentException($"id: there is no term {id}");
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), AuditActions.CheckTermChanged, details: new { id, term, shadow });
            return 0;
        }, ct);
    }

    public Task RemoveAsync(ClaimsPrincipal user, long id, CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.Admin, Refusal);
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var removed = await connection.QuerySingleOrDefaultAsync<CheckTerm>(
                "delete from check_terms where id = @id returning id, term, category, matching, action, shadow", new { id }, transaction)
                ?? throw new ArgumentException($"id: there is no term {id}");
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), AuditActions.CheckTermRemoved, details: removed);
            return 0;
        }, ct);
    }
}
