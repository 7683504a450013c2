using ModerationConsole.Ingest;
using ModerationConsole.Simulate;

namespace ModerationConsole.Tests.Infrastructure;

/// <summary>Builds valid flagged generations for tests; each With… changes one thing.</summary>
public sealed class GenerationBuilder
{
    private static int counter;
    private readonly FlaggedGeneration item;

    public GenerationBuilder()
    {
        var n = Interlocked.Increment(ref counter);
        item = new FlaggedGeneration
        {
            GenerationId = $"gen-{n}-{Guid.NewGuid():N}",
            UserId = "user-1",
            Prompt = "a watercolour painting of a lighthouse at dusk",
            Model = "imagegen-xl 2.1",
            CreatedAt = DateTimeOffset.UtcNow.ToString("O"),
            Image = Convert.ToBase64String(SyntheticImages.Png(64, 48, seed: n)),
            Scores = new Dictionary<string, double> { ["sexual"] = 0.6 },
            Jurisdiction = "DE",
            UserTier = "free",
            AgeVerified = false,
        };
    }

    /// <summary>Scores that send the item to the standard queue.</summary>
    public static GenerationBuilder Queued() => new GenerationBuilder().WithScores(("sexual", 0.6));
    public static GenerationBuilder Escalated() => new GenerationBuilder().WithScores(("sexual_minors", 0.7));
    public static GenerationBuilder AutoBlocked() => new GenerationBuilder().WithScores(("violence", 0.99));
    public static GenerationBuilder AutoApproved() => new GenerationBuilder().WithScores(("sexual", 0.05));

    public GenerationBuilder WithGenerationId(string? id) { item.GenerationId = id; return this; }
    public GenerationBuilder WithUser(string? userId) { item.UserId = userId; return this; }
    public GenerationBuilder WithPrompt(string? prompt) { item.Prompt = prompt; return this; }
    public GenerationBuilder WithCreatedAt(string? createdAt) { item.CreatedAt = createdAt; return this; }
    public GenerationBuilder WithImage(byte[] bytes) { item.Image = Convert.ToBase64String(bytes); return this; }
    public GenerationBuilder WithImageBase64(string? base64) { item.Image = base64; return this; }
    public GenerationBuilder WithJurisdiction(string? code) { item.Jurisdiction = code; return this; }
    public GenerationBuilder WithUserTier(string? tier) { item.UserTier = tier; return this; }
    public GenerationBuilder WithAgeVerified(bool? verified) { item.AgeVerified = verified; return this; }
    public GenerationBuilder WithLanguage(string? language) { item.Language = language; return this; }
    public GenerationBuilder WithMetadata(Dictionary<string, string>? metadata) { item.Metadata = metadata; return this; }

    public GenerationBuilder WithScores(params (string Category, double Score)[] scores)
    {
        item.Scores = scores.ToDictionary(s => s.Category, s => s.Score);
        return this;
    }

    public FlaggedGeneration Build() => new()
    {
        GenerationId = item.GenerationId, UserId = item.UserId, Prompt = item.Prompt, NegativePrompt = item.NegativePrompt,
        Model = item.Model, CreatedAt = item.CreatedAt, Image = item.Image, Scores = item.Scores is null ? null : new(item.Scores),
        Jurisdiction = item.Jurisdiction, UserTier = item.UserTier, AgeVerified = item.AgeVerified,
        Metadata = item.Metadata is null ? null : new(item.Metadata), Language = item.Language,
    };

    public static implicit operator FlaggedGeneration(GenerationBuilder builder) => builder.Build();

    /// <summary>The generation as a MessagePack producer sends it: a map of the contract's names, the image as binary.</summary>
    public Dictionary<string, object?> BuildMessagePackMap() =>
        IngestMessagePack.Map(Build(), item.Image is null ? null : Convert.FromBase64String(item.Image));
}
