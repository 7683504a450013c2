using ModerationConsole.Tests.Infrastructure;
using ModerationConsole.Audit;
using ModerationConsole.Audit.Exports;
using ModerationConsole.Policy;

namespace ModerationConsole.Tests.Audit;

/// <summary>The DSA category and illegality of a statement come from the policy when it names them, else from the defaults.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class StatementOfReasonsTests
{
    private static DecisionRecord Blocked(params string[] categories) => new(7, DateTimeOffset.UtcNow, "blocked", categories, false,
        "mod@example.org", "Removed.", null, 3, "gen-3", "platform", "user-1", "DE", "queued", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);

    [Fact]
    public void Without_a_mapping_in_the_policy_the_default_for_the_category_name_applies()
    {
        var statement = StatementOfReasons.For(Blocked("violence"), new PolicyOptions().ToDocument());

        Assert.Equal("STATEMENT_CATEGORY_VIOLENCE", statement.Category);
        Assert.Equal("No", statement.IncompatibleContentIllegal);
        Assert.Equal("Yes", StatementOfReasons.For(Blocked("sexual_minors")).IncompatibleContentIllegal);
    }

    [Fact]
    public void A_policy_category_can_name_its_dsa_category_and_that_its_content_is_illegal()
    {
        var policy = new PolicyOptions().ToDocument();
        policy = policy with
        {
            Categories = policy.Categories.Select(c => c.Name == "violence"
                ? c with { DsaCategory = "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY", IllegalContent = true } : c).ToList(),
        };

        var statement = StatementOfReasons.For(Blocked("violence"), policy);

        Assert.Empty(policy.Validate());
        Assert.Equal("STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY", statement.Category);
        Assert.Equal("Yes", statement.IncompatibleContentIllegal);
    }

    [Fact]
    public void A_dsa_category_that_is_not_one_of_the_databases_is_refused_naming_the_category()
    {
        var policy = new PolicyOptions().ToDocument();
        policy = policy with { Categories = policy.Categories.Select(c => c.Name == "hate" ? c with { DsaCategory = "hate speech" } : c).ToList() };

        Assert.Contains("category 'hate': dsaCategory must be a Transparency Database category such as STATEMENT_CATEGORY_VIOLENCE", policy.Validate());
    }
}
