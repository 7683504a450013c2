using System.Globalization;
using System.Text;
using AnyAscii;

namespace ModerationConsole.Checks;

/// <summary>
/// A prompt as term lists compare it, so that spelling tricks do not evade them: invisible characters (zero-width
/// spaces and joiners, soft hyphens, bidi marks) removed, confusable and accented letters transliterated to ASCII
/// (AnyAscii: Cyrillic "а" is "a", "é" is "e", full-width letters are letters), lower-cased, common leetspeak undone,
/// and every run of other characters made one space. <see cref="Squeezed"/> also drops the spaces, for "n.u.d.e".
/// </summary>
public static class PromptNormalizer
{
    public static string Normalise(string text)
    {
        var visible = new StringBuilder(text.Length);
        Span<char> utf16 = stackalloc char[2];
        foreach (var rune in text.EnumerateRunes())
            if (Rune.GetUnicodeCategory(rune) is not (UnicodeCategory.Format or UnicodeCategory.Control)) visible.Append(utf16[..rune.EncodeToUtf16(utf16)]);
        var ascii = visible.ToString().Transliterate();
        var normal = new StringBuilder(ascii.Length);
        var space = true;
        foreach (var c in ascii)
        {
            var letter = Leet(char.ToLowerInvariant(c));
            if (char.IsAsciiLetterOrDigit(letter))
            {
                normal.Append(letter);
                space = false;
            }
            else if (!space)
            {
                normal.Append(' ');
                space = true;
            }
        }
        return normal.ToString().TrimEnd();
    }

    /// <summary>The normalised text without its spaces.</summary>
    public static string Squeezed(string normalised) => normalised.Replace(" ", "", StringComparison.Ordinal);

    /// <summary>Digits and signs that stand for letters in evasions ("n00d", "s3x", "@ss").</summary>
    private static char Leet(char c) => c switch
    {
        '0' => 'o', '1' => 'i', '3' => 'e', '4' => 'a', '5' => 's', '7' => 't', '@' => 'a', '$' => 's', '!' => 'i', '|' => 'l',
        _ => c,
    };
}
