using System.Buffers;
using System.Globalization;

namespace ModerationConsole.Ingest.Validation;

/// <summary>The two map fields of the contract: <c>scores</c> and <c>metadata</c>.</summary>
internal static class DictionaryFields
{
    public const int MaxScoreKeyLength = 64;
    public const int MaxMetadataEntries = 32;
    public const int MaxMetadataKeyLength = 64;
    public const int MaxMetadataValueLength = 1024;

    // Scores have no entry limit in the contract; this bounds the receipt that a hostile map could produce.
    private const int MaxErrorsPerField = 10;

    private static readonly SearchValues<char> ScoreKeyChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789_");

    public static IReadOnlyDictionary<string, double> Scores(Dictionary<string, double>? scores, List<FieldError> errors)
    {
        if (scores is null)
        {
            return new Dictionary<string, double>();
        }
        int found = 0;
        foreach (var (key, value) in scores)
        {
            if (found == MaxErrorsPerField)
            {
                break;
            }
            string? keyError = ScoreKeyError(key);
            if (keyError is not null)
            {
                errors.Add(new FieldError("scores", $"key {TextRules.Quote(key)} {keyError}"));
                found++;
            }
            else if (!double.IsFinite(value) || value < 0 || value > 1)
            {
                string got = value.ToString("R", CultureInfo.InvariantCulture);
                errors.Add(new FieldError($"scores.{key}", $"must be a number from 0 to 1 (got {got})"));
                found++;
            }
        }
        return new Dictionary<string, double>(scores, StringComparer.Ordinal);
    }

    public static IReadOnlyDictionary<string, string> Metadata(Dictionary<string, string>? metadata, List<FieldError> errors)
    {
        if (metadata is null)
        {
            return new Dictionary<string, string>();
        }
        if (metadata.Count > MaxMetadataEntries)
        {
            // Entries are not looked at: their errors would only add noise to a map that is refused anyway.
            errors.Add(new FieldError("metadata", $"must have at most {MaxMetadataEntries} entries (got {metadata.Count})"));
            return new Dictionary<string, string>();
        }
        foreach (var (key, value) in metadata)
        {
            string? keyError = TextRules.Check(key, 1, MaxMetadataKeyLength, TextKind.Identifier);
            if (keyError is not null)
            {
                errors.Add(new FieldError("metadata", $"key {TextRules.Quote(key)} {keyError}"));
                continue;
            }
            // JSON null deserialises into a non-nullable value type argument; the contract says string to string.
            string? valueError = value is null
                ? "must be a string, not null"
                : TextRules.Check(value, 0, MaxMetadataValueLength, TextKind.FreeText);
            if (valueError is not null)
            {
                errors.Add(new FieldError($"metadata.{key}", valueError));
            }
        }
        return new Dictionary<string, string>(metadata, StringComparer.Ordinal);
    }

    private static string? ScoreKeyError(string key)
    {
        return TextRules.Check(key, 1, MaxScoreKeyLength, TextKind.Identifier)
            ?? (key.AsSpan().ContainsAnyExcept(ScoreKeyChars)
                ? "must contain only lower-case letters a-z, digits 0-9 and '_'"
                : null);
    }
}
