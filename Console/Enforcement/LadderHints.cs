using System.Collections.Concurrent;

namespace ModerationConsole.Enforcement;

/// <summary>
/// What this instance last saw of an account's standing: its active strike weight and the highest ladder rung standing.
/// Only a guess at whether a block will move the user up the ladder, so that such a block is written in a transaction
/// at once instead of failing its one-round-trip batch first (<see cref="DecisionStrikes.LadderActs"/>). A wrong guess
/// costs time, never correctness: the batch's own check decides.
/// </summary>
public sealed class LadderHints
{
    /// <summary>Enough for the accounts a team decides about in a while; past it the hints start afresh.</summary>
    public const int MaxAccounts = 200_000;

    private readonly ConcurrentDictionary<(long ProducerId, string UserId), (int Weight, int Rung)> seen = new();

    public void Saw(long producerId, string userId, int weight, int rung)
    {
        if (seen.Count >= MaxAccounts) seen.Clear();
        seen[(producerId, userId)] = (weight, rung);
    }

    /// <summary>
    /// Whether a person's block weighing <paramref name="strikeWeight"/> will probably make the ladder act: a ban at once,
    /// or a rung above the one standing. An account not seen yet is assumed to have no strikes.
    /// </summary>
    public bool LikelyActs(EnforcementPolicy rules, long producerId, string userId, IReadOnlyList<string> categories, bool byPerson)
    {
        if (byPerson && categories.Any(rules.BanAtOnce.Contains)) return true;
        var (weight, rung) = seen.TryGetValue((producerId, userId), out var known) ? known : (0, 0);
        return rules.StepFor(weight + rules.WeightOf(categories)) is { } step && step.Threshold > rung;
    }
}
