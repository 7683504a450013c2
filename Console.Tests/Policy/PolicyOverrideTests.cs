using ModerationConsole.Tests.Infrastructure;
using ModerationConsole.Policy;

namespace ModerationConsole.Tests.Policy;

/// <summary>Overrides per jurisdiction and user tier: stricter rules where they apply, the category's own elsewhere.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class PolicyOverrideTests
{
    private static readonly PolicyDocument WithOverrides = new PolicyOptions().ToDocument() with
    {
        Overrides =
        [
            new PolicyOverride { Category = "sexual", Jurisdictions = ["DE", "FR", "IE"], AutoBlockAt = 0.8, Note = "stricter in the EU" },
            new PolicyOverride { Category = "real_person", ExceptUserTiers = ["verified"], ReviewAt = 0.3, AutoBlockAt = 0.6,
                Note = "photorealistic real people only for verified adults" },
        ],
    };

    private static string RouteOf(string category, double score, string? jurisdiction, string? tier) =>
        Router.Route(WithOverrides, new RouteInput(new Dictionary<string, double> { [category] = score }, null, jurisdiction, tier)).Route;

    [Fact]
    public void A_jurisdiction_override_applies_in_its_jurisdictions_only()
    {
        Assert.Equal(Routes.AutoBlocked, RouteOf("sexual", 0.85, "DE", "free"));
        Assert.Equal(Routes.Queued, RouteOf("sexual", 0.85, "US", "free"));
        Assert.Equal(Routes.Queued, RouteOf("sexual", 0.85, null, "free"));
    }

    [Fact]
    public void A_tier_exception_spares_the_excepted_tier_and_catches_everyone_else_including_an_unknown_tier()
    {
        Assert.Equal(Routes.AutoBlocked, RouteOf("real_person", 0.65, "US", "free"));
        Assert.Equal(Routes.AutoBlocked, RouteOf("real_person", 0.65, "US", null));
        Assert.Equal(Routes.AutoApproved, RouteOf("real_person", 0.45, "US", "verified"));
        Assert.Equal(Routes.Queued, RouteOf("real_person", 0.45, "US", "free"));
    }

    [Fact]
    public void The_document_with_overrides_is_valid_and_a_bad_override_is_named()
    {
        Assert.Empty(WithOverrides.Validate());

        var bad = WithOverrides with
        {
            Overrides =
            [
                new PolicyOverride { Category = "nope", Jurisdictions = ["DE"] },
                new PolicyOverride { Category = "sexual_minors", Jurisdictions = ["DE"], AutoBlockAt = 0.9 },
                new PolicyOverride { Category = "sexual", Jurisdictions = ["germany"], ReviewAt = 0.95 },
                new PolicyOverride { Category = "violence", AutoBlockAt = 0.5 },
            ],
        };
        var problems = bad.Validate();

        Assert.Contains("override 1 (nope): category 'nope' is not in the policy", problems);
        Assert.Contains("override 2 (sexual_minors): an always-human category cannot have autoBlockAt", problems);
        Assert.Contains("override 3 (sexual): autoBlockAt must not be below reviewAt", problems);
        Assert.Contains("override 3 (sexual): jurisdictions must be ISO 3166-1 alpha-2 codes in capitals, e.g. DE", problems);
        Assert.Contains(problems, p => p.StartsWith("override 4 (violence): name the jurisdictions", StringComparison.Ordinal));
    }
}
