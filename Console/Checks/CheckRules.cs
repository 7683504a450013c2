using Dapper;
using ModerationConsole.Data;
using ModerationConsole.Policy;

namespace ModerationConsole.Checks;

/// <summary>What every check is judged by: the active policy, the term lists and the active prompt models.</summary>
public sealed record CheckRuleSet(ActivePolicy Policy, TermList Terms, IReadOnlyList<(string Name, string Version)> PromptModels, string Key);

/// <summary>
/// The rules as this instance last read them, kept in memory so that a check costs no extra round trip for them. A
/// check older than <see cref="MaxAge"/> sets off one refresh in the background (never more than one at a time), so a
/// saved policy, term or activated model applies on every instance within about a second.
/// </summary>
public sealed class CheckRules(Db db, ILogger<CheckRules> logger)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    private volatile Loaded? current;
    private int refreshing;

    private sealed record Loaded(CheckRuleSet Rules, DateTimeOffset At);

    public async ValueTask<CheckRuleSet> CurrentAsync(CancellationToken ct = default)
    {
        if (current is not { } loaded) return (await RefreshAsync(ct)).Rules;
        if (DateTimeOffset.UtcNow - loaded.At > MaxAge && Interlocked.Exchange(ref refreshing, 1) == 0)
            _ = Task.Run(async () =>
            {
                try { await RefreshAsync(CancellationToken.None); }
                catch (Exception ex) { logger.LogWarning(ex, "Could not refresh the check rules; checks use the ones read before"); }
                finally { Volatile.Write(ref refreshing, 0); }
            }, CancellationToken.None);
        return loaded.Rules;
    }

    /// <summary>Reads the rules now, for a caller that has just changed them and must not wait for the next refresh.</summary>
    public Task RefreshNowAsync(CancellationToken ct = default) => RefreshAsync(ct);

    private async Task<Loaded> RefreshAsync(CancellationToken ct)
    {
        var key = await db.ReadAsync(c => c.ExecuteScalarAsync<string>(KeySql), ct) ?? "";
        if (current is { } same && same.Rules.Key == key) return current = same with { At = DateTimeOffset.UtcNow };
        var rules = await db.ReadAsync(async connection =>
        {
            var policy = await PolicyStore.LoadActiveAsync(connection, null);
            var terms = await TermStore.ListAsync(connection);
            var models = (await connection.QueryAsync<(string, string)>(
                "select name, version from classifier_versions where active and modality = 'text' order by name")).AsList();
            return new CheckRuleSet(policy, new TermList(terms), models, key);
        }, ct);
        return current = new Loaded(rules, DateTimeOffset.UtcNow);
    }

    /// <summary>Changes when the active policy, any term or the active prompt models change.</summary>
    private const string KeySql =
        """
        select concat_ws('|', (select version from policies where active),
            (select md5(coalesce(string_agg(concat_ws(',', id, term, category, matching, action, shadow), ';' order by id), '')) from check_terms),
            (select string_agg(name || '@' || version, ',' order by name) from classifier_versions where active and modality = 'text'))
        """;
}
