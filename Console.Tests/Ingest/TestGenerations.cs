using ModerationConsole.Ingest;
using ModerationConsole.Ingest.Validation;
using Xunit;

namespace ModerationConsole.Tests.Ingest;

internal static class TestGenerations
{
    /// <summary>An item that passes validation, with every field filled; tests change one thing at a time.</summary>
    public static FlaggedGeneration Valid() => new()
    {
        GenerationId = "gen-0001",
        UserId = "user-42",
        Prompt = "a cat wearing a hat",
        NegativePrompt = "blurry",
        Model = "imagegen 3.1",
        CreatedAt = "2024-05-01T12:30:00Z",
        Image = TestImages.Base64(TestImages.Png(2, 2)),
        Scores = new() { ["sexual"] = 0.91, ["violence"] = 0.02 },
        Jurisdiction = "DE",
        UserTier = "free",
        AgeVerified = true,
        Metadata = new() { ["region"] = "eu-west" },
    };

    public static FlaggedGeneration With(string field, string? value)
    {
        var item = Valid();
        switch (field)
        {
            case "generationId": item.GenerationId = value; break;
            case "userId": item.UserId = value; break;
            case "prompt": item.Prompt = value; break;
            case "negativePrompt": item.NegativePrompt = value; break;
            case "model": item.Model = value; break;
            case "createdAt": item.CreatedAt = value; break;
            case "image": item.Image = value; break;
            case "jurisdiction": item.Jurisdiction = value; break;
            case "userTier": item.UserTier = value; break;
            default: throw new ArgumentException($"No text field {field}.", nameof(field));
        }
        return item;
    }

    public static ValidGeneration AssertValid(ValidationResult result)
    {
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Empty(result.Errors);
        return result.Generation;
    }

    /// <summary>Asserts that the result was rejected with exactly this one error.</summary>
    public static void AssertSingleError(ValidationResult result, string field, string message)
    {
        Assert.False(result.IsValid);
        Assert.Equal([new FieldError(field, message)], result.Errors);
    }
}
