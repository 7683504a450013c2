using ModerationConsole.Policy;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Policy;

/// <summary>Routing settles a score band with an outcome: only for the items the rule names, and only when nothing else needs a person.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class AutoOutcomeRoutingTests
{
    /// <summary>Sexual content from 0.5 to below 0.9, for verified adults in Germany: shown to adults only.</summary>
    internal static readonly PolicyDocument AdultsOnlyInGermany = new PolicyOptions().ToDocument() with
    {
        AutoOutcomes =
        [
            new AutoOutcomeRule
            {
                Category = "sexual", From = 0.5, Below = 0.9, Outcome = Outcomes.AgeRestricted, AgeVerified = true, Jurisdictions = ["DE"],
            },
        ],
    };

    private static RouteResult Route(bool? ageVerified, string jurisdiction, params (string Category, double Score)[] scores) =>
        Router.Route(AdultsOnlyInGermany, new RouteInput(scores.ToDictionary(s => s.Category, s => s.Score), null, jurisdiction, "free", ageVerified));

    [Fact]
    public void A_verified_adult_in_a_permitted_jurisdiction_within_the_band_is_approved_with_the_outcome()
    {
        var route = Route(true, "DE", ("sexual", 0.6));

        Assert.Equal((Routes.AutoApproved, Outcomes.AgeRestricted), (route.Route, route.Outcome));
        Assert.Equal(["sexual"], route.Categories);
        Assert.Empty(AdultsOnlyInGermany.Validate());
    }

    [Theory]
    [InlineData(false, "DE", 0.6, Routes.Queued)]   // not verified
    [InlineData(null, "DE", 0.6, Routes.Queued)]    // verification unknown
    [InlineData(true, "US", 0.6, Routes.Queued)]    // another jurisdiction
    [InlineData(true, "DE", 0.95, Routes.AutoBlocked)] // above the band: autoBlockAt still blocks
    [InlineData(true, "DE", 0.3, Routes.AutoApproved)] // below review: a plain approval
    public void Outside_the_rule_routing_is_as_before(bool? ageVerified, string jurisdiction, double score, string expected)
    {
        var route = Route(ageVerified, jurisdiction, ("sexual", score));

        Assert.Equal(expected, route.Route);
        Assert.Null(route.Outcome);
    }

    [Fact]
    public void Another_category_over_its_review_threshold_still_goes_to_a_person()
    {
        Assert.Equal(Routes.Queued, Route(true, "DE", ("sexual", 0.6), ("violence", 0.6)).Route);
    }

    [Fact]
    public void Automatic_outcomes_are_checked_naming_the_rule_and_field()
    {
        var broken = AdultsOnlyInGermany with
        {
            AutoOutcomes =
            [
                new AutoOutcomeRule { Category = "sexual_minors", From = 0.2, Below = 0.5, Outcome = Outcomes.AgeRestricted },
                new AutoOutcomeRule { Category = "sexual", From = 0.9, Below = 0.5, Outcome = Outcomes.Block, Jurisdictions = ["germany"] },
            ],
        };

        var problems = broken.Validate();

        Assert.Contains("autoOutcomes[0] (sexual_minors).category: an always-human category is never decided by routing", problems);
        Assert.Contains("autoOutcomes[1] (sexual).from, below: 0 ≤ from < below ≤ 1", problems);
        Assert.Contains("autoOutcomes[1] (sexual).outcome: a restricted approval (a block is autoBlockAt's job)", problems);
        Assert.Contains("autoOutcomes[1] (sexual).jurisdictions: ISO 3166-1 alpha-2 codes in capitals, e.g. DE", problems);
    }
}
