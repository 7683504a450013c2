using System.Text.Json;

namespace ModerationConsole.Ingest;

/// <summary>
/// Reads a <see cref="FlaggedGeneration"/> from JSON field by field, so a wrong type ("scores": "high") is a
/// rejection naming that field rather than a transport error that fails the whole message. Unknown properties are
/// ignored, so producers can send fields from a newer contract.
/// </summary>
public static class GenerationJson
{
    public static (FlaggedGeneration? Item, List<FieldError> Errors) Read(JsonElement element)
    {
        var errors = new List<FieldError>();
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new FieldError("item", $"must be a JSON object (got {Describe(element.ValueKind)})"));
            return (null, errors);
        }

        var item = new FlaggedGeneration();
        foreach (var property in element.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "generationId": item.GenerationId = ReadString(value, "generationId", errors); break;
                case "userId": item.UserId = ReadString(value, "userId", errors); break;
                case "prompt": item.Prompt = ReadString(value, "prompt", errors); break;
                case "negativePrompt": item.NegativePrompt = ReadString(value, "negativePrompt", errors); break;
                case "model": item.Model = ReadString(value, "model", errors); break;
                case "createdAt": item.CreatedAt = ReadString(value, "createdAt", errors); break;
                case "image": item.Image = ReadString(value, "image", errors); break;
                case "jurisdiction": item.Jurisdiction = ReadString(value, "jurisdiction", errors); break;
                case "userTier": item.UserTier = ReadString(value, "userTier", errors); break;
                case "ageVerified":
                    if (value.ValueKind is JsonValueKind.True or JsonValueKind.False) item.AgeVerified = value.GetBoolean();
                    else if (value.ValueKind != JsonValueKind.Null) errors.Add(new FieldError("ageVerified", $"must be true or false (got {Describe(value.ValueKind)})"));
                    break;
                case "scores": item.Scores = ReadScores(value, errors); break;
                case "metadata": item.Metadata = ReadMetadata(value, errors); break;
            }
        }
        return (item, errors);
    }

    /// <summary>The generationId, if one can be read, so even a rejection receipt can say which item it is about.</summary>
    public static string? PeekGenerationId(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("generationId", out var id) && id.ValueKind == JsonValueKind.String
            ? Truncate(id.GetString(), 128)
            : null;

    private static string? ReadString(JsonElement value, string field, List<FieldError> errors)
    {
        if (value.ValueKind == JsonValueKind.String) return value.GetString();
        if (value.ValueKind != JsonValueKind.Null) errors.Add(new FieldError(field, $"must be a string (got {Describe(value.ValueKind)})"));
        return null;
    }

    private static Dictionary<string, double>? ReadScores(JsonElement value, List<FieldError> errors)
    {
        if (value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new FieldError("scores", $"must be an object of category name to number (got {Describe(value.ValueKind)})"));
            return null;
        }
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var score in value.EnumerateObject())
        {
            var field = "scores." + Truncate(score.Name, 64);
            if (score.Value.ValueKind != JsonValueKind.Number || !score.Value.TryGetDouble(out var number))
                errors.Add(new FieldError(field, $"must be a number in [0, 1] (got {Describe(score.Value.ValueKind)})"));
            else if (!scores.TryAdd(score.Name, number))
                errors.Add(new FieldError(field, "appears more than once"));
        }
        return scores;
    }

    private static Dictionary<string, string>? ReadMetadata(JsonElement value, List<FieldError> errors)
    {
        if (value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new FieldError("metadata", $"must be an object of string to string (got {Describe(value.ValueKind)})"));
            return null;
        }
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in value.EnumerateObject())
        {
            var field = "metadata." + Truncate(entry.Name, 64);
            if (entry.Value.ValueKind != JsonValueKind.String)
                errors.Add(new FieldError(field, $"must be a string (got {Describe(entry.Value.ValueKind)})"));
            else if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
                errors.Add(new FieldError(field, "appears more than once"));
        }
        return metadata;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Number => "a number",
        JsonValueKind.String => "a string",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    private static string? Truncate(string? text, int max) => text is { Length: var n } && n > max ? text[..max] : text;
}
