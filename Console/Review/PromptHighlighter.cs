using System.Text.RegularExpressions;

namespace ModerationConsole.Review;

/// <summary>
/// Splits a prompt into plain and risky segments so the review screen can mark risky terms, and shows invisible
/// formatting characters (right-to-left overrides, zero-width spaces and joiners) as visible markers such as ⟨U+202E⟩,
/// so a prompt cannot hide words or reorder what the moderator reads. The result is rendered as text nodes, never as
/// markup: a prompt containing HTML stays inert.
/// </summary>
public static partial class PromptHighlighter
{
    /// <param name="Hidden">An invisible character, its text replaced by a marker naming its code point.</param>
    public sealed record Segment(string Text, bool Risky, bool Hidden = false);

    public static IReadOnlyList<Segment> Split(string prompt) => Split(prompt, RiskyTerms());

    /// <summary><see cref="Split(string)"/> with the risky terms given by <paramref name="riskyTerms"/>.</summary>
    internal static IReadOnlyList<Segment> Split(string prompt, Regex riskyTerms)
    {
        var segments = new List<Segment>();
        var position = 0;
        try
        {
            foreach (Match match in riskyTerms.Matches(prompt))
            {
                if (match.Index > position) segments.Add(new Segment(prompt[position..match.Index], false));
                segments.Add(new Segment(match.Value, true));
                position = match.Index + match.Length;
            }
        }
        catch (RegexMatchTimeoutException)
        {
            // Highlighting is an aid; a pathological prompt is shown without it rather than holding up the screen. The
            // timeout is wall-clock time, so a busy server can reach it on an ordinary prompt too (seen in tests): the
            // invisible characters are revealed all the same, as they are what keeps a prompt from misleading.
            return RevealInvisible(new Segment(prompt, false)).ToList();
        }
        if (position < prompt.Length) segments.Add(new Segment(prompt[position..], false));
        return segments.SelectMany(RevealInvisible).ToList();
    }

    private static IEnumerable<Segment> RevealInvisible(Segment segment)
    {
        var text = segment.Text;
        int index = 0, plainStart = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (System.Text.Rune.GetUnicodeCategory(rune) == System.Globalization.UnicodeCategory.Format)
            {
                if (index > plainStart) yield return segment with { Text = text[plainStart..index] };
                yield return new Segment($"⟨U+{rune.Value:X4}⟩", false, Hidden: true);
                plainStart = index + rune.Utf16SequenceLength;
            }
            index += rune.Utf16SequenceLength;
        }
        if (plainStart == 0) yield return segment;
        else if (plainStart < text.Length) yield return segment with { Text = text[plainStart..] };
    }

    // Terms that often mark a violating request in image prompts; a reading aid for humans, not a classifier.
    [GeneratedRegex(
        @"\b(nude|nudes|naked|undress\w*|topless|nsfw|explicit|lingerie|sexy|porn\w*|sex|sexual|erotic|" +
        @"child|children|kid|kids|minor|minors|teen|teens|teenage\w*|underage|young girl|young boy|loli\w*|schoolgirl|" +
        @"blood\w*|gore|gory|decapitat\w*|dismember\w*|corpse|kill\w*|murder\w*|behead\w*|torture\w*|" +
        @"suicide|self[- ]harm|cutting|" +
        @"nazi\w*|swastika|kkk|genocide|" +
        @"celebrity|deepfake|real person|photo of)\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 200)]
    private static partial Regex RiskyTerms();
}
