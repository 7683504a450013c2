using System.Buffers;
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

/// <summary>
/// The terms in force, ready to match: word terms compiled once, normalised terms normalised once. Each kind is first
/// searched for all its terms at once (one regex, or one multi-string search); only a prompt that holds one of them is
/// tried term by term, so a prompt that matches nothing costs three searches, not one per term.
/// </summary>
public sealed class TermList
{
    private readonly IReadOnlyList<Kind> kinds;

    public TermList(IReadOnlyList<CheckTerm> terms)
    {
        All = terms;
        kinds = terms.Select((t, i) => (Term: t, Position: i)).GroupBy(t => t.Term.Matching).Select(g => Kind.Of(g.Key, g.ToList())).ToList();
    }

    public static readonly TermList Empty = new([]);

    public IReadOnlyList<CheckTerm> All { get; }

    public IReadOnlyList<TermHit> Match(string prompt)
    {
        if (All.Count == 0) return [];
        var forms = new PromptForms(prompt);
        var hits = new List<(int Position, TermHit Hit)>();
        foreach (var kind in kinds)
            if (kind.AnyIn(forms))
                hits.AddRange(kind.Terms.Where(t => t.Matches(forms)).Select(t => (t.Position, new TermHit(t.Term))));
        return hits.OrderBy(h => h.Position).Select(h => h.Hit).ToList();
    }

    /// <summary>The terms of one kind of matching, and the search that finds whether any of them is in a prompt.</summary>
    private sealed record Kind(IReadOnlyList<(CheckTerm Term, int Position, Func<PromptForms, bool> Matches)> Terms, Func<PromptForms, bool> AnyIn)
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(50);

        public static Kind Of(string matching, IReadOnlyList<(CheckTerm Term, int Position)> terms)
        {
            switch (matching)
            {
                case "word":
                    var any = WholeWord(string.Join('|', terms.Select(t => Regex.Escape(t.Term.Term))));
                    return new Kind(terms.Select(t => (t.Term, t.Position, Word(WholeWord(Regex.Escape(t.Term.Term))))).ToList(), Word(any));
                case "normalised":
                    var squeezed = terms.Select(t => (t.Term, t.Position, Squeezed: PromptNormalizer.Squeezed(PromptNormalizer.Normalise(t.Term.Term)))).ToList();
                    var anySqueezed = SearchValues.Create(squeezed.Select(t => t.Squeezed).Where(s => s.Length > 0).Distinct().ToArray(), StringComparison.Ordinal);
                    return new Kind(squeezed.Select(t => (t.Term, t.Position, Squeezed(t.Squeezed))).ToList(),
                        forms => forms.Squeezed.AsSpan().ContainsAny(anySqueezed));
                default:
                    var anyExact = SearchValues.Create(terms.Select(t => t.Term.Term).Where(s => s.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToArray(),
                        StringComparison.OrdinalIgnoreCase);
                    return new Kind(terms.Select(t => (t.Term, t.Position, Exact(t.Term.Term))).ToList(), forms => forms.Raw.AsSpan().ContainsAny(anyExact));
            }
        }

        private static Regex WholeWord(string alternatives) =>
            new(@"(?<![\p{L}\p{N}])(?:" + alternatives + @")(?![\p{L}\p{N}])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, Timeout);

        private static Func<PromptForms, bool> Word(Regex word) => forms => word.IsMatch(forms.Raw);

        private static Func<PromptForms, bool> Squeezed(string squeezed) =>
            forms => squeezed.Length > 0 && forms.Squeezed.Contains(squeezed, StringComparison.Ordinal);

        private static Func<PromptForms, bool> Exact(string term) => forms => forms.Raw.Contains(term, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The prompt as each kind of term reads it; the normalised form is made only when a term needs it.</summary>
    private sealed class PromptForms(string raw)
    {
        private string? squeezed;
        public string Raw => raw;
        public string Squeezed => squeezed ??= PromptNormalizer.Squeezed(PromptNormalizer.Normalise(raw));
    }
}
