using ModerationConsole.Checks;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Checks;

/// <summary>The term lists as a check matches them: every kind of matching at once, each hit reported in the list's order.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class TermListTests
{
    private static CheckTerm Term(long id, string term, string matching) => new(id, term, "sexual", matching, "deny", Shadow: false);

    private static readonly TermList Terms = new([
        Term(1, "nude beach", "word"),
        Term(2, "undress", "exact"),
        Term(3, "nude", "word"),
        Term(4, "nudify", "normalised"),
        Term(5, "Straße", "exact"),
        Term(6, "beach", "word"),
    ]);

    private static long[] Hits(string prompt) => Terms.Match(prompt).Select(h => h.Term.Id).ToArray();

    [Fact]
    public void Every_listed_term_in_a_prompt_is_a_hit_even_where_terms_overlap()
    {
        Assert.Equal([1, 3, 6], Hits("a NUDE beach at dawn"));
        Assert.Equal([1, 2, 3, 4, 6], Hits("undressed, n.u.d.1.f.y, nude beach"));
    }

    [Fact]
    public void Word_terms_match_whole_words_and_exact_terms_match_anywhere_in_any_case()
    {
        Assert.Empty(Hits("nudes of a beachcomber"));
        Assert.Equal([2], Hits("UNDRESSING"));
        Assert.Equal([5], Hits("eine STRASSE? no: straße"));
    }

    [Fact]
    public void A_prompt_without_a_listed_term_has_no_hit()
    {
        Assert.Empty(Hits("an oil painting of a lighthouse"));
        Assert.Empty(TermList.Empty.Match("nude"));
    }
}
