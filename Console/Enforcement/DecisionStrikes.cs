using Dapper;
using ModerationConsole.Data;
using ModerationConsole.Decisions;
using ModerationConsole.Policy;
using Npgsql;

namespace ModerationConsole.Enforcement;

/// <summary>
/// What a decision does to its user's account, in the decision's own transaction: a block adds a weighted strike, an
/// overturn lifts the strike of the decision it replaces, and the ladder (<see cref="Ladder"/>) then applies, proposes
/// or lifts actions. Approvals that replace nothing cost nothing here.
/// </summary>
/// <remarks>
/// Each account's row in platform_users is locked first, in a fixed order, so two decisions about one user at once are
/// evaluated one after the other: the second sees the first one's strike and actions, and the standing is consistent.
/// </remarks>
public static class DecisionStrikes
{
    public static bool Concerns(PendingDecision decision) => decision.Decision == DecisionKinds.Blocked || decision.Overturns is not null;

    public static async Task ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<PendingDecision> pending,
        IReadOnlyList<long> ids)
    {
        var relevant = pending.Select((decision, i) => (Decision: decision, Id: ids[i])).Where(d => Concerns(d.Decision)).ToList();
        if (relevant.Count == 0) return;
        if (transaction is null)
            throw new InvalidOperationException("Blocks and overturns are written in an explicit transaction: their strikes and enforcement commit with them.");

        var policy = (await PolicyStore.LoadActiveAsync(connection, transaction)).Document;
        var rules = policy.Enforcement;
        var accounts = relevant.Select(d => (d.Decision.ProducerId, d.Decision.PlatformUserId)).Distinct().Order().ToArray();
        var blocks = relevant.Where(d => d.Decision.Decision == DecisionKinds.Blocked).ToList();
        var replaced = relevant.Where(d => d.Decision.Overturns is not null).Select(d => d.Decision.Overturns!.Value).ToArray();

        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(BatchCommand.Of(
            """
            insert into platform_users (producer_id, user_id)
            select * from unnest(@producers::bigint[], @users::text[]) order by 1, 2
            on conflict (producer_id, user_id) do update set strikes = platform_users.strikes
            """,
            ("producers", accounts.Select(a => a.ProducerId).ToArray()), ("users", accounts.Select(a => a.PlatformUserId).ToArray())));
        batch.BatchCommands.Add(BatchCommand.Of(
            """
            update strikes s set lifted_at = now(), lifted_by_decision = d.id
            from decisions d where d.overturns = s.decision_id and s.decision_id = any(@replaced) and s.lifted_at is null
            returning s.decision_id as lifted_decision
            """, ("replaced", replaced)));
        batch.BatchCommands.Add(BatchCommand.Of(
            """
            insert into strikes (producer_id, user_id, decision_id, categories, weight, expires_at)
            select p, u, d, array(select jsonb_array_elements_text(c)), w, now() + make_interval(days => @days)
            from unnest(@producers::bigint[], @users::text[], @decisions::bigint[], @categories::jsonb[], @weights::int[]) as t (p, u, d, c, w)
            """,
            ("producers", blocks.Select(b => b.Decision.ProducerId).ToArray()), ("users", blocks.Select(b => b.Decision.PlatformUserId).ToArray()),
            ("decisions", blocks.Select(b => b.Id).ToArray()),
            ("categories", blocks.Select(b => System.Text.Json.JsonSerializer.Serialize(b.Decision.Categories)).ToArray()),
            ("weights", blocks.Select(b => rules.WeightOf(b.Decision.Categories)).ToArray()), ("days", rules.StrikeExpiryDays)));
        batch.BatchCommands.Add(BatchCommand.Of(
            $"""
            select a.p as producer_id, a.u as user_id, coalesce(sum(s.weight), 0)::int as weight
            from unnest(@producers::bigint[], @users::text[]) as a (p, u)
            left join strikes s on s.producer_id = a.p and s.user_id = a.u and s.lifted_at is null and s.expires_at > now()
            group by a.p, a.u
            """,
            ("producers", accounts.Select(a => a.ProducerId).ToArray()), ("users", accounts.Select(a => a.PlatformUserId).ToArray())));
        batch.BatchCommands.Add(BatchCommand.Of(
            $"""
            select e.producer_id, e.user_id, e.id, e.action, e.state, e.origin, e.step_threshold, e.decision_id
            from enforcements e join unnest(@producers::bigint[], @users::text[]) as a (p, u) on e.producer_id = a.p and e.user_id = a.u
            where {InForceOrProposed}
            """,
            ("producers", accounts.Select(a => a.ProducerId).ToArray()), ("users", accounts.Select(a => a.PlatformUserId).ToArray())));

        var lifted = new HashSet<long>();
        var weights = new Dictionary<(long, string), int>();
        var standing = accounts.ToDictionary(a => a, _ => new List<StandingAction>());
        await using (var reader = await batch.ExecuteReaderAsync())
        {
            // Statements without rows (the locks, the new strikes) have no result set: the reader starts at the lifted strikes.
            while (await reader.ReadAsync()) lifted.Add(reader.GetInt64(0));
            await reader.NextResultAsync();
            while (await reader.ReadAsync()) weights[(reader.GetInt64(0), reader.GetString(1))] = reader.GetInt32(2);
            await reader.NextResultAsync();
            while (await reader.ReadAsync())
                standing[(reader.GetInt64(0), reader.GetString(1))].Add(new StandingAction(reader.GetInt64(2), reader.GetString(3), reader.GetString(4),
                    reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetInt32(6), reader.IsDBNull(7) ? null : reader.GetInt64(7)));
        }

        foreach (var account in accounts)
        {
            var added = blocks.Where(b => (b.Decision.ProducerId, b.Decision.PlatformUserId) == account)
                .Select(b => new NewStrike(b.Id, b.Decision.Categories, rules.WeightOf(b.Decision.Categories), !b.Decision.Automated)).ToList();
            var liftedHere = relevant.Where(d => (d.Decision.ProducerId, d.Decision.PlatformUserId) == account && d.Decision.Overturns is { } o && lifted.Contains(o))
                .Select(d => d.Decision.Overturns!.Value).ToHashSet();
            var weight = weights[account];
            var changes = Ladder.Evaluate(rules, weight, standing[account], added, liftedHere);
            if (changes.IsEmpty) continue;

            foreach (var lift in changes.Lift)
                await EnforcementWriter.LiftAsync(connection, transaction, lift.EnforcementId, null, lift.Reason);
            var facts = changes.Apply.Count == 0 ? [] : await ActiveStrikeDecisionsAsync(connection, transaction, account);
            foreach (var apply in changes.Apply)
                await EnforcementWriter.ApplyAsync(connection, transaction, policy, new NewEnforcement(account.ProducerId, account.PlatformUserId,
                    apply.Step, apply.Origin, apply.DecisionId, apply.Categories,
                    apply.Origin == Ladder.OriginImmediate
                        ? "A person confirmed content in a category that closes the account at once."
                        : $"Active strike weight {weight} reached the ladder's step at {apply.Step.Threshold}.",
                    null, apply.Origin == Ladder.OriginImmediate ? [apply.DecisionId] : facts, weight));
        }
    }

    /// <summary>An action counts while proposed, or active and not yet past its end.</summary>
    public const string InForceOrProposed = "(e.state = 'proposed' or (e.state = 'active' and (e.ends_at is null or e.ends_at > now())))";

    private static async Task<IReadOnlyList<long>> ActiveStrikeDecisionsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        (long ProducerId, string PlatformUserId) account) =>
        (await connection.QueryAsync<long>(
            """
            select decision_id from strikes
            where producer_id = @ProducerId and user_id = @PlatformUserId and lifted_at is null and expires_at > now() order by decision_id
            """, new { account.ProducerId, account.PlatformUserId }, transaction)).AsList();
}
