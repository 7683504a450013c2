using ModerationConsole.Tests.Infrastructure;
using ModerationConsole.Policy;

namespace ModerationConsole.Tests.Policy;

/// <summary>Routing by the default policy: where an item goes for each score, at and around every threshold.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class RouterTests
{
    private static readonly PolicyDocument Default = new PolicyOptions().ToDocument();

    private static RouteResult Route(params (string Category, double Score)[] scores) =>
        Router.Route(Default, new RouteInput(scores.ToDictionary(s => s.Category, s => s.Score)));

    [Fact]
    public void The_default_policy_has_the_product_categories_and_is_valid()
    {
        Assert.Equivalent(new[] { "sexual", "sexual_minors", "violence", "self_harm", "hate", "harassment", "illicit", "real_person" },
            Default.Categories.Select(c => c.Name).ToArray());
        Assert.Empty(Default.Validate());
    }

    [Theory]
    [InlineData("verified", Routes.Queued)]
    [InlineData("free", Routes.AutoBlocked)]
    [InlineData(null, Routes.AutoBlocked)]
    public void The_default_policy_keeps_real_person_likenesses_for_verified_users(string? tier, string expected)
    {
        var route = Router.Route(Default, new RouteInput(new Dictionary<string, double> { ["real_person"] = 0.9 }, null, "US", tier));

        Assert.Equal(expected, route.Route);
    }

    [Fact]
    public void Scores_below_every_review_threshold_are_approved_automatically()
    {
        var route = Route(("sexual", 0.49), ("violence", 0.1));
        Assert.Equal(Routes.AutoApproved, route.Route);
        Assert.Null(route.Queue);
        Assert.Empty(route.Categories);
    }

    [Fact]
    public void A_score_exactly_at_the_review_threshold_waits_for_a_human()
    {
        var route = Route(("sexual", 0.5));
        Assert.Equal(Routes.Queued, route.Route);
        Assert.Equal(Queues.Standard, route.Queue);
        Assert.Equal(["sexual"], route.Categories);
        Assert.Equal(60, route.Priority);
    }

    [Fact]
    public void A_score_just_below_the_auto_block_threshold_still_waits_for_a_human()
    {
        Assert.Equal(Routes.Queued, Route(("sexual", 0.8999)).Route);
    }

    [Fact]
    public void A_score_exactly_at_the_auto_block_threshold_is_blocked_automatically()
    {
        var route = Route(("sexual", 0.9), ("violence", 0.6));
        Assert.Equal(Routes.AutoBlocked, route.Route);
        Assert.Null(route.Queue);
        Assert.Equal(["sexual"], route.Categories);
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void Sexual_minors_always_goes_to_a_human_on_the_escalation_queue(double score)
    {
        // Even when another category would block automatically: automation never decides these.
        var route = Route(("sexual_minors", score), ("sexual", 0.99));
        Assert.Equal(Routes.Escalated, route.Route);
        Assert.Equal(Queues.Escalation, route.Queue);
        Assert.Equal("sexual_minors", route.Categories[0]);
        Assert.Equal(100, route.Priority);
    }

    [Fact]
    public void Sexual_minors_below_its_review_threshold_does_not_escalate()
    {
        Assert.Equal(Routes.AutoApproved, Route(("sexual_minors", 0.19)).Route);
    }

    [Fact]
    public void Priority_is_the_severity_of_the_worst_flagged_category_and_categories_come_worst_first()
    {
        var route = Route(("harassment", 0.7), ("self_harm", 0.45), ("violence", 0.55));
        Assert.Equal(Routes.Queued, route.Route);
        Assert.Equal(70, route.Priority);
        Assert.Equal(["self_harm", "violence", "harassment"], route.Categories);
    }

    [Fact]
    public void No_scores_at_all_means_no_evidence_to_approve_on_so_a_human_looks()
    {
        var route = Route();
        Assert.Equal(Routes.Queued, route.Route);
        Assert.Equal(0, route.Priority);
    }

    [Fact]
    public void Only_unknown_categories_count_as_no_evidence()
    {
        Assert.Equal(Routes.Queued, Route(("weapons_custom", 0.99)).Route);
    }

    [Fact]
    public void Unknown_categories_beside_known_ones_are_ignored()
    {
        Assert.Equal(Routes.AutoApproved, Route(("weapons_custom", 0.99), ("sexual", 0.1)).Route);
    }

    [Fact]
    public void A_block_bank_match_blocks_automatically_whatever_the_scores()
    {
        var route = Router.Route(Default, new RouteInput(new Dictionary<string, double> { ["sexual"] = 0.0 },
            new BankMatch(7, 3, ["sexual"])));
        Assert.Equal(Routes.AutoBlocked, route.Route);
        Assert.Equal(["sexual"], route.Categories);
    }

    [Fact]
    public void Routing_is_a_pure_function_of_its_inputs()
    {
        var input = new RouteInput(new Dictionary<string, double> { ["hate"] = 0.7, ["illicit"] = 0.65 }, null, "DE", "free");
        Assert.Equivalent(Router.Route(Default, input), Router.Route(Default, input));
    }

    [Fact]
    public void A_policy_with_an_auto_block_threshold_below_review_is_invalid_and_names_the_category()
    {
        var bad = new PolicyDocument([new CategoryRule { Name = "sexual", Label = "Sexual", ReviewAt = 0.8, AutoBlockAt = 0.5, Reason = "r" }]);
        Assert.Contains(bad.Validate(), p => p.Contains("'sexual'") && p.Contains("autoBlockAt"));
    }

    [Fact]
    public void An_always_human_category_may_not_have_an_auto_block_threshold()
    {
        var bad = new PolicyDocument([new CategoryRule { Name = "sexual_minors", Label = "x", AlwaysHuman = true, AutoBlockAt = 0.9, Reason = "r" }]);
        Assert.Contains(bad.Validate(), p => p.Contains("always-human"));
    }
}
