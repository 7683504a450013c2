// Hand-written reader: each field checked on its own and named in errors, the image decoded from the message's own bytes (docs/contract.md).
using System.Buffers;
using System.Text.Json;
using ModerationConsole.Ingest.Validation;

namespace ModerationConsole.Ingest;

/// <summary>
/// Reads a <see cref="FlaggedGeneration"/> from JSON field by field, so a wrong type ("scores": "high") is a rejection
/// naming that field rather than a transport error that fails the whole message. Unknown properties are ignored, so
/// producers can send fields from a newer contract. It reads straight from the message's UTF-8 bytes: the image's
/// base64 is decoded from them with no string and no copy of the message in between (at ~64 KB an image, those copies
/// were a large share of what ingest cost).
/// </summary>
public static class GenerationJson
{
    /// <summary>
    /// Reads one value, whatever it is, leaving <paramref name="reader"/> on its last token; never throws on a valid
    /// JSON value. A value that is not an object comes back as a rejection of the whole item.
    /// </summary>
    public static SubmittedGeneration Read(ref Utf8JsonReader reader, IngestOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            var got = Describe(reader.TokenType);
            reader.Skip();
            return SubmittedGeneration.NotAnObject(got);
        }

        var item = new FlaggedGeneration();
        var image = Base64Image.Missing;
        var errors = new List<FieldError>();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = FieldName(ref reader, "item", errors);
            reader.Read();
            switch (name)
            {
                case "generationId": item.GenerationId = ReadString(ref reader, name, errors); break;
                case "userId": item.UserId = ReadString(ref reader, name, errors); break;
                case "prompt": item.Prompt = ReadString(ref reader, name, errors); break;
                case "negativePrompt": item.NegativePrompt = ReadString(ref reader, name, errors); break;
                case "model": item.Model = ReadString(ref reader, name, errors); break;
                case "createdAt": item.CreatedAt = ReadString(ref reader, name, errors); break;
                case "image": image = ReadImage(ref reader, options, errors); break;
                case "jurisdiction": item.Jurisdiction = ReadString(ref reader, name, errors); break;
                case "language": item.Language = ReadString(ref reader, name, errors); break;
                case "userTier": item.UserTier = ReadString(ref reader, name, errors); break;
                case "ageVerified":
                    if (reader.TokenType is JsonTokenType.True or JsonTokenType.False) item.AgeVerified = reader.GetBoolean();
                    else if (reader.TokenType != JsonTokenType.Null) WrongType(ref reader, name, "must be true or false", errors);
                    break;
                case "scores": item.Scores = ReadScores(ref reader, errors); break;
                case "metadata": item.Metadata = ReadMetadata(ref reader, errors); break;
                default: reader.Skip(); break; // unknown, or a name that is not UTF-8 (already named)
            }
        }
        return new SubmittedGeneration(item, image, errors);
    }

    private static string? ReadString(ref Utf8JsonReader reader, string field, List<FieldError> errors)
    {
        if (reader.TokenType == JsonTokenType.String) return Text(ref reader, field, errors);
        if (reader.TokenType != JsonTokenType.Null) WrongType(ref reader, field, "must be a string", errors);
        return null;
    }

    /// <summary>
    /// The string's text, or null and an error naming <paramref name="field"/> when its bytes are not UTF-8: the reader
    /// checks that only when it transcodes, and its exception would name no field.
    /// </summary>
    private static string? Text(ref Utf8JsonReader reader, string field, List<FieldError> errors)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            errors.Add(new FieldError(field, "must be valid UTF-8 text"));
            return null;
        }
    }

    /// <summary>A property's name, or null and an error naming the object it is in when the name is not UTF-8.</summary>
    private static string? FieldName(ref Utf8JsonReader reader, string inObject, List<FieldError> errors)
    {
        var name = Text(ref reader, inObject, errors);
        if (name is null) errors[^1] = new FieldError(inObject, "has a field name that is not valid UTF-8 text");
        return name;
    }

    /// <summary>
    /// The base64 text as UTF-8: the message's own bytes when they lie in one piece and hold no escape, otherwise
    /// unescaped into a pooled buffer that is given back before returning.
    /// </summary>
    private static Base64Image ReadImage(ref Utf8JsonReader reader, IngestOptions options, List<FieldError> errors)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            if (reader.TokenType != JsonTokenType.Null) WrongType(ref reader, "image", "must be a string", errors);
            return Base64Image.Missing;
        }
        if (!reader.HasValueSequence && !reader.ValueIsEscaped) return ImageField.FromUtf8(reader.ValueSpan, options);

        var rawLength = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        // Unescaped, the raw length is the text's: one too long is refused before anything is copied. An escaped text
        // is shorter than its raw form, which the message size limit bounds.
        if (!reader.ValueIsEscaped && ImageField.TooLong(rawLength, options) is { } tooLong) return tooLong;
        var buffer = ArrayPool<byte>.Shared.Rent((int)rawLength);
        try
        {
            return ImageField.FromUtf8(buffer.AsSpan(0, reader.CopyString(buffer)), options);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static Dictionary<string, double>? ReadScores(ref Utf8JsonReader reader, List<FieldError> errors)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            WrongType(ref reader, "scores", "must be an object of category name to number", errors);
            return null;
        }
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = FieldName(ref reader, "scores", errors);
            reader.Read();
            if (name is null)
            {
                reader.Skip();
                continue;
            }
            var field = "scores." + Truncate(name, 64);
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var number))
                WrongType(ref reader, field, "must be a number in [0, 1]", errors);
            else if (!scores.TryAdd(name, number))
                errors.Add(new FieldError(field, "appears more than once"));
        }
        return scores;
    }

    private static Dictionary<string, string>? ReadMetadata(ref Utf8JsonReader reader, List<FieldError> errors)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            WrongType(ref reader, "metadata", "must be an object of string to string", errors);
            return null;
        }
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = FieldName(ref reader, "metadata", errors);
            reader.Read();
            if (name is null)
            {
                reader.Skip();
                continue;
            }
            var field = "metadata." + Truncate(name, 64);
            if (reader.TokenType != JsonTokenType.String)
                WrongType(ref reader, field, "must be a string", errors);
            else if (Text(ref reader, field, errors) is not { } value) continue;
            else if (!metadata.TryAdd(name, value))
                errors.Add(new FieldError(field, "appears more than once"));
        }
        return metadata;
    }

    /// <summary>Records "<paramref name="rule"/> (got …)" and steps over the value, however deep it goes.</summary>
    private static void WrongType(ref Utf8JsonReader reader, string field, string rule, List<FieldError> errors)
    {
        errors.Add(new FieldError(field, $"{rule} (got {Describe(reader.TokenType)})"));
        reader.Skip();
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Number => "a number",
        JsonTokenType.String => "a string",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        _ => "null",
    };

    internal static string? Truncate(string? text, int max) => text is { Length: var n } && n > max ? text[..max] : text;
}
