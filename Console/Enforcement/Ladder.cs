namespace ModerationConsole.Enforcement;

/// <summary>An action on the account that is in force or proposed, as the ladder sees it.</summary>
public sealed record StandingAction(long Id, string Action, string State, string Origin, int? StepThreshold, long? DecisionId);

/// <summary>A block written in this transaction: it added a strike.</summary>
public sealed record NewStrike(long DecisionId, IReadOnlyList<string> Categories, int Weight, bool ByPerson);

/// <summary>What the ladder does to one account: actions to apply (or propose) and actions to lift.</summary>
public sealed record LadderChanges(IReadOnlyList<LadderApplication> Apply, IReadOnlyList<LadderLift> Lift)
{
    public bool IsEmpty => Apply.Count == 0 && Lift.Count == 0;
}

/// <param name="Step">The rung applied; for a ban at once, a ban step with no threshold.</param>
public sealed record LadderApplication(LadderStep Step, string Origin, long DecisionId, IReadOnlyList<string> Categories);

public sealed record LadderLift(long EnforcementId, string Reason);

/// <summary>
/// The enforcement ladder's rules, apart from storage so that they read (and are tested) as rules. Called when a
/// decision adds or lifts strikes, with the account's standing after that change.
/// </summary>
public static class Ladder
{
    public const string OriginLadder = "ladder";
    public const string OriginManual = "manual";
    public const string OriginImmediate = "immediate";

    /// <summary>The reason an action of the ladder records; <see cref="LadderInBatch"/> fills the same text in SQL.</summary>
    public const string ReachedStepText = "Active strike weight {weight} reached the ladder's step at {threshold}.";

    public static string ReachedStep(int weight, int threshold) =>
        ReachedStepText.Replace("{weight}", weight.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Replace("{threshold}", threshold.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static LadderChanges Evaluate(EnforcementPolicy policy, int activeWeight, IReadOnlyList<StandingAction> standing,
        IReadOnlyList<NewStrike> added, IReadOnlySet<long> liftedDecisions)
    {
        var apply = new List<LadderApplication>();
        var lift = new List<LadderLift>();
        var banned = standing.Any(a => a.Action == EnforcementActions.Ban && a.State == "active");

        // A person's block in a ban-at-once category (a senior's confirmation of sexual_minors) bans whatever the strikes.
        var atOnce = added.FirstOrDefault(s => s.ByPerson && s.Categories.Any(policy.BanAtOnce.Contains));
        if (atOnce is not null && !banned)
        {
            apply.Add(new LadderApplication(new LadderStep { Threshold = 0, Action = EnforcementActions.Ban }, OriginImmediate,
                atOnce.DecisionId, atOnce.Categories));
            banned = true;
        }

        // A new strike applies the highest rung reached, unless that rung already stands (in force or awaiting a senior).
        if (added.Count > 0 && !banned && policy.StepFor(activeWeight) is { } step
            && !standing.Any(a => a.Origin == OriginLadder && a.StepThreshold == step.Threshold))
        {
            var latest = added.MaxBy(s => s.Weight)!;
            apply.Add(new LadderApplication(step, OriginLadder, latest.DecisionId, added.SelectMany(s => s.Categories).Distinct().ToList()));
        }

        // Lifted strikes lift what no longer holds: rungs above the weight left, bans brought by an overturned decision.
        if (liftedDecisions.Count > 0)
            foreach (var action in standing)
            {
                if (action.Origin == OriginLadder && action.StepThreshold > activeWeight)
                    lift.Add(new LadderLift(action.Id, $"The strikes that led to it were lifted; {activeWeight} active strike weight remains, below its threshold of {action.StepThreshold}."));
                else if (action.Origin == OriginImmediate && action.DecisionId is { } d && liftedDecisions.Contains(d))
                    lift.Add(new LadderLift(action.Id, "The decision that led to it was overturned."));
            }
        return new LadderChanges(apply, lift);
    }
}
