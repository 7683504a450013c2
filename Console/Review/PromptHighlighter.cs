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

    public static IReadOnlyList<Segment> Split(string prompt)
    {
        var segments = new List<Segment>();
        var position = 0;
        foreach (Match match in RiskyTerms().Matches(prompt))
        {
            if (match.Index > position) segments.Add(new Segment(prompt[position..match.Index], false));
            segments.Add(new Segment(match.Value, true));
            position = match.Index + match.Length;
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

    /// <summary>Terms that often mark a violating request in image prompts; a reading aid for humans, not a classifier.</summary>
    /// <remarks>
    /// Matched without backtracking, so the time taken grows in step with the prompt's length whatever the prompt holds,
    /// and there is no timeout to reach. A timeout is wall-clock time: on a busy server it was reached on ordinary
    /// prompts, and the moderator was shown the prompt without its risky terms marked.
    /// </remarks>
    [GeneratedRegex(
        @"\b(nude|nudes|naked|undress\w*|topless|nsfw|explicit|lingerie|sexy|porn\w*|sex|sexual|erotic|" +
        @"child|children|kid|kids|minor|minors|teen|teens|teenage\w*|underage|young girl|young boy|loli\w*|schoolgirl|" +
        @"blood\w*|gore|gory|decapitat\w*|dismember\w*|corpse|kill\w*|murder\w*|behead\w*|torture\w*|" +
        @"suicide|self[- ]harm|cutting|" +
        @"nazi\w*|swastika|kkk|genocide|" +
        @"celebrity|deepfake|real person|photo of)\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    internal static partial Regex RiskyTerms();
}
