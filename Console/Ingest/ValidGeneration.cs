namespace ModerationConsole.Ingest;

public enum ImageFormat { Png, Jpeg, WebP }

public sealed record ImageInfo(ImageFormat Format, int Width, int Height)
{
    public string ContentType => Format switch
    {
        ImageFormat.Png => "image/png",
        ImageFormat.Jpeg => "image/jpeg",
        _ => "image/webp",
    };
}

/// <summary>A <see cref="FlaggedGeneration"/> that passed validation: every field parsed and within its limits.</summary>
public sealed record ValidGeneration(
    string GenerationId,
    string UserId,
    string Prompt,
    string? NegativePrompt,
    string? Model,
    DateTimeOffset CreatedAt,
    byte[] ImageBytes,
    ImageInfo Image,
    IReadOnlyDictionary<string, double> Scores,
    string? Jurisdiction,
    string? UserTier,
    bool? AgeVerified,
    IReadOnlyDictionary<string, string> Metadata,
    string? Language = null);
