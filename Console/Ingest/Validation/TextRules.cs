using System.Buffers;
using System.Text;

namespace ModerationConsole.Ingest.Validation;

internal enum TextKind
{
    /// <summary>Prompts and metadata values: tab, line feed and carriage return are fine in prose.</summary>
    FreeText,

    /// <summary>Ids, names and keys: shown in tables and logs, so no control character at all.</summary>
    Identifier,
}

/// <summary>The rules every string of the contract shares: length, well-formed UTF-16 and no control characters.</summary>
internal static class TextRules
{
    private const int QuoteLength = 32;

    // C0 controls except tab, LF and CR, plus DEL. NUL matters beyond display: PostgreSQL text cannot hold it.
    private static readonly SearchValues<char> FreeTextForbidden = SearchValues.Create(
        Enumerable.Range(0, 0x20).Where(c => c is not ('\t' or '\n' or '\r')).Select(c => (char)c).Append('\u007F').ToArray());

    /// <summary>The first broken rule, or null when the value is acceptable.</summary>
    public static string? Check(string value, int minLength, int maxLength, TextKind kind)
    {
        if (value.Length < minLength)
        {
            return minLength == 1 ? "must not be empty" : $"must be at least {minLength} characters (got {value.Length})";
        }
        if (value.Length > maxLength)
        {
            return $"must be at most {maxLength} characters (got {value.Length})";
        }
        int surrogate = IndexOfUnpairedSurrogate(value);
        if (surrogate >= 0)
        {
            return $"must be valid Unicode text (unpaired surrogate U+{(int)value[surrogate]:X4} at position {surrogate})";
        }
        int control = kind == TextKind.FreeText
            ? value.AsSpan().IndexOfAny(FreeTextForbidden)
            : IndexOfControl(value);
        if (control >= 0)
        {
            string allowed = kind == TextKind.FreeText ? " other than tab, line feed and carriage return" : "";
            return $"must not contain control characters{allowed} (found U+{(int)value[control]:X4} at position {control})";
        }
        // Ids and names are compared and shown in tables: an invisible character (a right-to-left override, a zero-width
        // space) would make two different ids look the same. Prose keeps them (right-to-left languages, emoji
        // sequences); the review screen shows them as visible markers instead.
        if (kind == TextKind.Identifier && IndexOfFormat(value) is var (format, position) && position >= 0)
        {
            return $"must not contain invisible formatting characters (found U+{format:X4} at position {position})";
        }
        return null;
    }

    public static int IndexOfUnpairedSurrogate(string value)
    {
        var span = value.AsSpan();
        int first = span.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (first < 0)
        {
            return -1;
        }
        for (int i = first; i < span.Length; i++)
        {
            if (char.IsHighSurrogate(span[i]) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(span[i]))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>The first character of Unicode category Cf (bidi controls, zero-width characters, tags) and its position; -1 when none.</summary>
    public static (int CodePoint, int Position) IndexOfFormat(string value)
    {
        int position = 0;
        foreach (var rune in value.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) == System.Globalization.UnicodeCategory.Format)
            {
                return (rune.Value, position);
            }
            position += rune.Utf16SequenceLength;
        }
        return (0, -1);
    }

    /// <summary>Any Unicode control character (category Cc): C0, DEL and C1.</summary>
    public static int IndexOfControl(string value)
    {
        var span = value.AsSpan();
        int c0 = span.IndexOfAnyInRange('\u0000', '\u001F');
        int delOrC1 = span.IndexOfAnyInRange('\u007F', '\u009F');
        return c0 < 0 ? delOrC1 : delOrC1 < 0 ? c0 : Math.Min(c0, delOrC1);
    }

    /// <summary>
    /// Untrusted text made safe to echo in a message: shortened, and control characters, surrogates, quotes and
    /// backslashes escaped, so a hostile key cannot forge log lines or flood the receipt.
    /// </summary>
    public static string Quote(string value)
    {
        var text = new StringBuilder("\"");
        foreach (char c in value.AsSpan(0, Math.Min(value.Length, QuoteLength)))
        {
            if (char.IsControl(c) || char.IsSurrogate(c) || c is '"' or '\\')
            {
                text.Append($"\\u{(int)c:X4}");
            }
            else
            {
                text.Append(c);
            }
        }
        text.Append(value.Length > QuoteLength ? "...\"" : "\"");
        return text.ToString();
    }
}
