using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ModerationConsole.Hashing;

/// <summary>
/// A prompt's shape: the set of its words, ignoring case, numbers, punctuation, word order, repeats and a few filler
/// words. A wave of generations from one template ("…, seed 81723, 8k", "8k …, seed 1") shares one shape.
/// </summary>
public static class PromptShape
{
    private static readonly HashSet<string> Filler = ["a", "an", "the", "of", "and", "in", "on", "with", "at", "to", "by", "for"];

    /// <summary>A 64-bit digest of the shape; null when the prompt has no words.</summary>
    public static long? Of(string prompt)
    {
        var words = Words(prompt).Where(w => !Filler.Contains(w)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (words.Count == 0) return null;
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(' ', words)));
        return BinaryPrimitives.ReadInt64BigEndian(digest);
    }

    private static IEnumerable<string> Words(string prompt)
    {
        var word = new StringBuilder();
        foreach (var c in prompt.Normalize(NormalizationForm.FormKC))
        {
            if (char.IsLetter(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
            {
                word.Append(char.ToLowerInvariant(c));
                continue;
            }
            if (word.Length > 0) yield return word.ToString();
            word.Clear();
        }
        if (word.Length > 0) yield return word.ToString();
    }
}
