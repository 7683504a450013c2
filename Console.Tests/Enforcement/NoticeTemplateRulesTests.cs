using ModerationConsole.Enforcement;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Enforcement;

/// <summary>Notice wording: every kind in every language, placeholders checked on save, languages resolved to what exists.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class NoticeTemplateRulesTests
{
    [Fact]
    public void The_console_words_every_notice_in_every_language_with_known_placeholders_only()
    {
        foreach (var kind in NoticeKinds.All)
        foreach (var language in NoticeTemplates.Languages)
        {
            var (title, body) = DefaultNoticeTexts.All[(kind, language)];
            Assert.Empty(NoticeTemplates.Validate(kind, "", language, title, body));
        }
    }

    [Fact]
    public void A_template_with_an_unknown_placeholder_a_stray_brace_or_nothing_in_it_is_refused_naming_the_field()
    {
        var problems = NoticeTemplates.Validate("suspend", "Bad Category", "xx", "", "Until {untill} } ok");

        Assert.Contains("title: is required", problems);
        Assert.Contains("category: a policy category name, or empty for every category", problems);
        Assert.Contains(problems, p => p.StartsWith("language: must be one of en, de, fr, es"));
        Assert.Contains(problems, p => p.StartsWith("body: {untill} is not a placeholder"));
        Assert.Contains("body: braces only around a placeholder name, e.g. {until}", problems);
        Assert.Contains(NoticeTemplates.Validate("scold", "", "en", "t", "b"), p => p.StartsWith("kind: must be one of"));
    }

    [Theory]
    [InlineData("de-AT", "de")]
    [InlineData("FR", "fr")]
    [InlineData("pt-BR", "en")]
    [InlineData(null, "en")]
    public void A_users_language_resolves_to_its_primary_tag_or_english(string? requested, string resolved) =>
        Assert.Equal(resolved, NoticeTemplates.LanguageOf(requested));

    [Fact]
    public void Filling_leaves_no_braces_and_no_double_spaces_where_a_value_is_missing()
    {
        var text = NoticeTemplates.Fill("Limited until {until}. {quota} Appeal by {appealUntil}.", new Dictionary<string, string?> { ["until"] = "1 May", ["appealUntil"] = "2 June" });

        Assert.Equal("Limited until 1 May. Appeal by 2 June.", text);
    }
}
