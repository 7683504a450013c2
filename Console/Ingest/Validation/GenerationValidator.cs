using System.Buffers;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ModerationConsole.Ingest.Validation;

/// <summary>
/// Checks a <see cref="FlaggedGeneration"/> against the ingest contract (PRODUCT.md) and reports every broken rule at
/// once, so a producer fixes an item in one round trip. Never throws on any input.
/// </summary>
public sealed partial class GenerationValidator
{
    public const int MaxIdLength = 128;
    public const int MaxPromptLength = 8000;
    public const int MaxModelLength = 256;
    public const int MaxUserTierLength = 32;
    public const int MaxScoreKeyLength = DictionaryFields.MaxScoreKeyLength;
    public const int MaxMetadataEntries = DictionaryFields.MaxMetadataEntries;
    public const int MaxMetadataKeyLength = DictionaryFields.MaxMetadataKeyLength;
    public const int MaxMetadataValueLength = DictionaryFields.MaxMetadataValueLength;

    private const int MaxCreatedAtLength = 64;

    private static readonly SearchValues<char> UserTierChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");

    private readonly IngestOptions _options;

    public GenerationValidator(IngestOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    public ValidationResult Validate(FlaggedGeneration? item) =>
        item is null
            ? ValidationResult.Invalid([new FieldError("item", "must be an object, not null")])
            : Validate(item, ImageField.FromText(item.Image, _options));

    /// <summary>
    /// Validates an item whose image text was already checked and decoded (<see cref="ImageField.FromUtf8"/>, as ingest
    /// reads it from the JSON); <paramref name="item"/>'s own <see cref="FlaggedGeneration.Image"/> is not read.
    /// </summary>
    public ValidationResult Validate(FlaggedGeneration item, Base64Image imageText)
    {
        var errors = new List<FieldError>();
        string? generationId = Text(errors, "generationId", item.GenerationId, required: true, 1, MaxIdLength, TextKind.Identifier);
        string? userId = Text(errors, "userId", item.UserId, required: true, 1, MaxIdLength, TextKind.Identifier);
        string? prompt = Text(errors, "prompt", item.Prompt, required: true, 0, MaxPromptLength, TextKind.FreeText);
        string? negativePrompt = Text(errors, "negativePrompt", item.NegativePrompt, required: false, 0, MaxPromptLength, TextKind.FreeText);
        string? model = Text(errors, "model", item.Model, required: false, 0, MaxModelLength, TextKind.Identifier);
        DateTimeOffset? createdAt = CreatedAt(errors, item.CreatedAt);
        DecodedImage? image = ImageField.Validate(imageText, _options, errors);
        var scores = DictionaryFields.Scores(item.Scores, errors);
        string? jurisdiction = Jurisdiction(errors, item.Jurisdiction);
        string? userTier = UserTier(errors, item.UserTier);
        var metadata = DictionaryFields.Metadata(item.Metadata, errors);
        string? language = Language(errors, item.Language);

        if (errors.Count > 0)
        {
            return ValidationResult.Invalid(errors);
        }
        // Each required value is null only when its check added an error, so all are present here.
        return ValidationResult.Valid(new ValidGeneration(
            generationId!, userId!, prompt!, negativePrompt, model, createdAt!.Value, image!.Bytes, image.Info,
            scores, jurisdiction, userTier, item.AgeVerified, metadata, language));
    }

    internal static string? Text(List<FieldError> errors, string field, string? value, bool required,
        int minLength, int maxLength, TextKind kind)
    {
        string? error = value is null
            ? required ? "is required" : null
            : TextRules.Check(value, minLength, maxLength, kind);
        if (error is not null)
        {
            errors.Add(new FieldError(field, error));
            return null;
        }
        return value;
    }

    private static DateTimeOffset? CreatedAt(List<FieldError> errors, string? value)
    {
        if (value is null)
        {
            errors.Add(new FieldError("createdAt", "is required"));
            return null;
        }
        // DateTimeOffset.TryParse alone also takes a bare date, a local time without offset and "5/1/2024": the
        // shape check keeps the contract to ISO-8601 date-times that say which instant they mean.
        if (value.Length <= MaxCreatedAtLength && IsoDateTime().IsMatch(value) &&
            DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            return parsed;
        }
        errors.Add(new FieldError("createdAt",
            $"must be an ISO-8601 date-time with a UTC offset or Z, e.g. 2024-05-01T12:30:00Z (got {TextRules.Quote(value)})"));
        return null;
    }

    internal static string? Jurisdiction(List<FieldError> errors, string? value)
    {
        if (value is null)
        {
            return null;
        }
        if (value.Length == 2 && char.IsAsciiLetter(value[0]) && char.IsAsciiLetter(value[1]))
        {
            return value.ToUpperInvariant();
        }
        errors.Add(new FieldError("jurisdiction",
            $"must be an ISO 3166-1 alpha-2 country code, two letters A-Z (got {TextRules.Quote(value)})"));
        return null;
    }

    /// <summary>A BCP 47 tag as platforms send them: a 2–3 letter language, optionally a region or script ("pt-BR").</summary>
    private static string? Language(List<FieldError> errors, string? value)
    {
        if (value is null)
        {
            return null;
        }
        var parts = value.Split('-');
        if (value.Length <= 35 && parts[0].Length is 2 or 3 && parts.All(p => p.Length is >= 2 and <= 8 && p.All(char.IsAsciiLetterOrDigit))
            && parts[0].All(char.IsAsciiLetter))
        {
            return value;
        }
        errors.Add(new FieldError("language", $"must be a BCP 47 language tag such as \"de\" or \"pt-BR\" (got {TextRules.Quote(value)})"));
        return null;
    }

    internal static string? UserTier(List<FieldError> errors, string? value)
    {
        if (value is null)
        {
            return null;
        }
        string? error = TextRules.Check(value, 1, MaxUserTierLength, TextKind.Identifier)
            ?? (value.AsSpan().ContainsAnyExcept(UserTierChars)
                ? "must contain only letters A-Z and a-z, digits 0-9, '_' and '-'"
                : null);
        if (error is not null)
        {
            errors.Add(new FieldError("userTier", error));
            return null;
        }
        return value;
    }

    // Date, 'T', time with seconds and up to 9 fraction digits (Go writes nanoseconds), then Z or +hh:mm.
    // [0-9] rather than \d, which also matches non-ASCII digits; \z rather than $, which allows a trailing newline.
    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})\z",
        RegexOptions.CultureInvariant)]
    private static partial Regex IsoDateTime();
}
