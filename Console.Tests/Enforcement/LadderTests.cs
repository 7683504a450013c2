using ModerationConsole.Enforcement;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Enforcement;

/// <summary>The ladder's rules on their own: which rung a strike applies, what a lifted strike lifts, bans at once.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class LadderTests
{
    private static readonly EnforcementPolicy Policy = EnforcementPolicy.Default;
    private static NewStrike Strike(long decision, string category = "sexual", bool byPerson = true) =>
        new(decision, [category], Policy.WeightOf([category]), byPerson);

    [Theory]
    [InlineData(1, "warn")]
    [InlineData(2, "warn")]
    [InlineData(3, "restrict")]
    [InlineData(5, "suspend")]
    [InlineData(9, "ban")]
    public void A_new_strike_applies_the_highest_rung_its_weight_reaches(int weight, string action)
    {
        var changes = Ladder.Evaluate(Policy, weight, [], [Strike(7)], new HashSet<long>());

        var applied = Assert.Single(changes.Apply);
        Assert.Equal(action, applied.Step.Action);
        Assert.Equal(Ladder.OriginLadder, applied.Origin);
        Assert.Empty(changes.Lift);
    }

    [Fact]
    public void A_rung_already_standing_is_not_applied_again()
    {
        var standing = new[] { new StandingAction(1, "warn", "active", Ladder.OriginLadder, 1, 3) };

        Assert.True(Ladder.Evaluate(Policy, 2, standing, [Strike(7)], new HashSet<long>()).IsEmpty);
    }

    [Fact]
    public void An_ended_rung_is_applied_again_by_the_next_strike_that_still_reaches_it()
    {
        // The ladder is given only actions in force or proposed: a suspension that ran out is not among them.
        var changes = Ladder.Evaluate(Policy, 6, [new StandingAction(1, "restrict", "active", Ladder.OriginLadder, 3, 2)], [Strike(9)], new HashSet<long>());

        Assert.Equal("suspend", Assert.Single(changes.Apply).Step.Action);
    }

    [Fact]
    public void Approvals_and_overturns_without_a_new_strike_apply_nothing()
    {
        Assert.True(Ladder.Evaluate(Policy, 4, [], [], new HashSet<long>()).IsEmpty);
    }

    [Fact]
    public void A_lifted_strike_lifts_the_rungs_above_the_weight_left_and_keeps_those_below()
    {
        var standing = new[]
        {
            new StandingAction(1, "warn", "active", Ladder.OriginLadder, 1, 3),
            new StandingAction(2, "restrict", "active", Ladder.OriginLadder, 3, 5),
            new StandingAction(3, "warn", "active", Ladder.OriginManual, null, null),
        };

        var changes = Ladder.Evaluate(Policy, 2, standing, [], new HashSet<long> { 5 });

        Assert.Equal([2L], changes.Lift.Select(l => l.EnforcementId));
        Assert.Contains("below its threshold of 3", changes.Lift[0].Reason);
    }

    [Fact]
    public void A_proposal_whose_strikes_were_lifted_is_lifted_too()
    {
        var standing = new[] { new StandingAction(4, "ban", "proposed", Ladder.OriginLadder, 8, 11) };

        Assert.Equal([4L], Ladder.Evaluate(Policy, 7, standing, [], new HashSet<long> { 11 }).Lift.Select(l => l.EnforcementId));
    }

    [Fact]
    public void A_person_confirming_sexual_minors_bans_at_once_and_the_overturn_of_that_decision_lifts_the_ban()
    {
        var ban = Assert.Single(Ladder.Evaluate(Policy, 10, [], [Strike(21, "sexual_minors")], new HashSet<long>()).Apply);
        Assert.Equal(("ban", Ladder.OriginImmediate, 21L), (ban.Step.Action, ban.Origin, ban.DecisionId));

        var standing = new[] { new StandingAction(5, "ban", "active", Ladder.OriginImmediate, null, 21) };
        Assert.Equal([5L], Ladder.Evaluate(Policy, 0, standing, [], new HashSet<long> { 21 }).Lift.Select(l => l.EnforcementId));
    }

    [Fact]
    public void Automation_never_bans_at_once_and_a_banned_account_gets_no_further_rung()
    {
        var automatic = Ladder.Evaluate(Policy, 10, [], [Strike(21, "sexual_minors", byPerson: false)], new HashSet<long>());
        Assert.Equal(Ladder.OriginLadder, Assert.Single(automatic.Apply).Origin);

        var banned = new[] { new StandingAction(5, "ban", "active", Ladder.OriginManual, null, null) };
        Assert.True(Ladder.Evaluate(Policy, 10, banned, [Strike(22)], new HashSet<long>()).IsEmpty);
    }

    [Fact]
    public void A_strike_weighs_as_its_heaviest_category_and_unlisted_categories_weigh_one()
    {
        Assert.Equal(2, Policy.WeightOf(["sexual", "real_person"]));
        Assert.Equal(1, Policy.WeightOf(["harassment"]));
    }

    [Fact]
    public void The_ladder_in_the_policy_is_validated_field_by_field()
    {
        var broken = Policy with
        {
            StrikeExpiryDays = 0,
            StrikeWeights = new Dictionary<string, int> { ["gore"] = 0 },
            BanAtOnce = ["nope"],
            Steps = [new() { Threshold = 2, Action = "restrict" }, new() { Threshold = 2, Action = "scold" }, new() { Threshold = 4, Action = "warn", Features = ["Adult!"] }],
        };

        var problems = broken.Validate(["sexual", "sexual_minors"]);

        Assert.Contains("enforcement.strikeExpiryDays: must be from 1 to 3650", problems);
        Assert.Contains("enforcement.strikeWeights.gore: not a category of the policy", problems);
        Assert.Contains("enforcement.strikeWeights.gore: must be from 1 to 100", problems);
        Assert.Contains("enforcement.banAtOnce: 'nope' is not a category of the policy", problems);
        Assert.Contains("enforcement.steps: threshold 2 appears more than once", problems);
        Assert.Contains("enforcement.steps[0]: a restriction names features or an hourlyQuota", problems);
        Assert.Contains(problems, p => p.StartsWith("enforcement.steps[1].action: must be one of warn"));
        Assert.Contains("enforcement.steps[2]: only a restrict step has features or an hourlyQuota", problems);
        Assert.Contains("enforcement.steps[2].features: 'Adult!' must be lower-case letters, digits and underscores", problems);
        Assert.Empty(Policy.Validate(Policy.StrikeWeights.Keys.Concat(Policy.BanAtOnce).ToHashSet()));
    }

    [Fact]
    public void Standing_folds_the_gravest_action_and_unites_restrictions()
    {
        var until = DateTimeOffset.UtcNow.AddDays(1);
        var standing = StandingReader.Fold("u1", 4,
        [
            new EnforcementState(1, "warn", [], null, "active", null, null),
            new EnforcementState(2, "restrict", ["adult"], 20, "active", null, until),
            new EnforcementState(3, "restrict", ["image_edit", "adult"], 5, "active", null, until),
        ]);

        Assert.Equal("restricted", standing.Status);
        Assert.Equal(["adult", "image_edit"], standing.RestrictedFeatures);
        Assert.Equal(5, standing.HourlyQuota);
        Assert.Equal("ok", StandingReader.Fold("u2", 0, []).Status);
    }
}

/// <summary>The what-if of a ladder change: accounts counted at the highest step they reach, now and under the draft.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class LadderWhatIfTests
{
    [Fact]
    public void Heavier_weights_and_a_lower_rung_move_accounts_up_in_the_preview()
    {
        var now = EnforcementPolicy.Default;
        var draft = now with
        {
            StrikeWeights = new Dictionary<string, int> { ["hate"] = 3 },
            Steps = [.. now.Steps.Where(s => s.Action != "restrict"), new() { Threshold = 2, Action = "restrict", Features = ["adult"] }],
        };
        List<string[]> Strikes(params string[] categories) => categories.Select(c => new[] { c }).ToList();

        var counts = LadderWhatIf.Count(now, draft, [Strikes("hate"), Strikes("sexual", "sexual"), Strikes("sexual")]);

        // hate weighs 3 under the draft and reaches its new restrict rung at 2; two sexual strikes reach it too.
        Assert.Equal(["restrict (from 2): now 0, then 2", "warn (from 1): now 3, then 1"],
            counts.Select(c => $"{c.Step}: now {c.Now}, then {c.Proposed}"));
    }
}
