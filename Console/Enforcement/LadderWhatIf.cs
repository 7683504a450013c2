using Dapper;
using ModerationConsole.Data;

namespace ModerationConsole.Enforcement;

/// <summary>How many accounts stand at one rung, under the ladder in force and under a proposed one.</summary>
public sealed record StepCount(string Step, long Now, long Proposed);

/// <summary>
/// Before a ladder change is saved: the accounts with active strikes, weighed under the current and the proposed
/// weights, counted at the highest rung each reaches. Computed on request from the strikes; nothing is stored.
/// </summary>
public sealed class LadderWhatIf(Db db)
{
    public Task<IReadOnlyList<StepCount>> CountAsync(EnforcementPolicy current, EnforcementPolicy proposed, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<StepCount>>(async connection =>
        {
            var strikes = await connection.QueryAsync<StrikeRow>(
                "select producer_id as producerid, user_id as userid, categories from strikes where lifted_at is null and expires_at > now()");
            var accounts = strikes.GroupBy(s => (s.ProducerId, s.UserId)).Select(g => g.Select(s => s.Categories).ToList()).ToList();
            return Count(current, proposed, accounts);
        }, ct);

    private sealed class StrikeRow
    {
        public long ProducerId { get; init; }
        public string UserId { get; init; } = "";
        public string[] Categories { get; init; } = [];
    }

    /// <summary>Each account is given as the category lists of its active strikes.</summary>
    public static IReadOnlyList<StepCount> Count(EnforcementPolicy current, EnforcementPolicy proposed, IReadOnlyList<List<string[]>> accounts)
    {
        static string Label(LadderStep? step) => step is null ? "below the first step" : $"{step.Action} (from {step.Threshold})";
        var now = accounts.Select(a => Label(current.StepFor(a.Sum(current.WeightOf)))).CountBy(l => l).ToDictionary();
        var then = accounts.Select(a => Label(proposed.StepFor(a.Sum(proposed.WeightOf)))).CountBy(l => l).ToDictionary();
        return now.Keys.Union(then.Keys).Order()
            .Select(label => new StepCount(label, now.GetValueOrDefault(label), then.GetValueOrDefault(label))).ToList();
    }
}
