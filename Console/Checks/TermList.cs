using System.Text.RegularExpressions;

namespace ModerationConsole.Checks;

/// <summary>A listed term: how it is matched, what a match does, and whether it is only being tried out.</summary>
/// <param name="Matching">exact (anywhere, any case), word (a whole word, any case), normalised (after <see cref="PromptNormalizer"/>, separators ignored).</param>
/// <param name="Action">deny or review (allow_with_review); a term of sexual_minors denies whatever it says.</param>
/// <param name="Shadow">Matched and reported on checks, never enforced.</param>
public sealed record CheckTerm(long Id, string Term, string Category, string Matching, string Action, bool Shadow)
{
    public static readonly string[] Matchings = ["exact", "word", "normalised"];
    public static readonly string[] Actions = ["deny", "review"];
}

/// <summary>A prompt's match against one term.</summary>
public sealed record TermHit(CheckTerm Term);

/// <summary>The terms in force, ready to match: word terms compiled once, normalised terms normalised once.</summary>
public sealed class TermList
{
    private readonly IReadOnlyList<(CheckTerm Term, Func<PromptForms, bool> Matches)> terms;

    public TermList(IReadOnlyList<CheckTerm> terms)
    {
        All = terms;
        this.terms = terms.Select(t => (t, Matcher(t))).ToList();
    }

    public static readonly TermList Empty = new([]);

    public IReadOnlyList<CheckTerm> All { get; }

    public IReadOnlyList<TermHit> Match(string prompt)
    {
        if (terms.Count == 0) return [];
        var forms = new PromptForms(prompt);
        return terms.Where(t => t.Matches(forms)).Select(t => new TermHit(t.Term)).ToList();
    }

    private static Func<PromptForms, bool> Matcher(CheckTerm term)
    {
        switch (term.Matching)
        {
            case "word":
                var word = new Regex(@"(?<![\p{L}\p{N}])" + Regex.Escape(term.Term) + @"(?![\p{L}\p{N}])",
                    RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50));
                return forms => word.IsMatch(forms.Raw);
            case "normalised":
                var squeezed = PromptNormalizer.Squeezed(PromptNormalizer.Normalise(term.Term));
                return forms => squeezed.Length > 0 && forms.Squeezed.Contains(squeezed, StringComparison.Ordinal);
            default:
                return forms => forms.Raw.Contains(term.Term, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>The prompt as each kind of term reads it; the normalised form is made only when a term needs it.</summary>
    private sealed class PromptForms(string raw)
    {
        private string? squeezed;
        public string Raw => raw;
        public string Squeezed => squeezed ??= PromptNormalizer.Squeezed(PromptNormalizer.Normalise(raw));
    }
}
