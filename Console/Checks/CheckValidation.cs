using ModerationConsole.Enforcement;
using ModerationConsole.Hashing;
using ModerationConsole.Ingest;
using ModerationConsole.Ingest.Validation;

namespace ModerationConsole.Checks;

/// <summary>A check that passed validation: its texts within the contract's limits and its source image hashed.</summary>
public sealed record ValidCheck(string CheckId, string UserId, string? UserTier, bool AgeVerified, string? Jurisdiction, string Prompt,
    string? NegativePrompt, string? Model, IReadOnlyList<string> Features, PdqResult? Source);

/// <summary>Checks a <see cref="CheckRequest"/> against the contract and reports every broken rule at once, each naming its field.</summary>
public static class CheckValidation
{
    public const int MaxFeatures = 32;
    public const int MaxBatch = 100;

    public static ValidCheck? Validate(CheckRequest? request, IngestOptions options, List<FieldError> errors, string prefix = "")
    {
        if (request is null)
        {
            errors.Add(new FieldError(prefix.TrimEnd('.') is { Length: > 0 } p ? p : "body", "must be an object, not null"));
            return null;
        }
        var mine = new List<FieldError>();
        var checkId = GenerationValidator.Text(mine, "checkId", request.CheckId, required: true, 1, GenerationValidator.MaxIdLength, TextKind.Identifier);
        var userId = GenerationValidator.Text(mine, "userId", request.UserId, required: true, 1, GenerationValidator.MaxIdLength, TextKind.Identifier);
        var prompt = GenerationValidator.Text(mine, "prompt", request.Prompt, required: true, 0, GenerationValidator.MaxPromptLength, TextKind.FreeText);
        var negative = GenerationValidator.Text(mine, "negativePrompt", request.NegativePrompt, required: false, 0, GenerationValidator.MaxPromptLength, TextKind.FreeText);
        var model = GenerationValidator.Text(mine, "model", request.Model, required: false, 0, GenerationValidator.MaxModelLength, TextKind.Identifier);
        var jurisdiction = GenerationValidator.Jurisdiction(mine, request.Jurisdiction);
        var tier = GenerationValidator.UserTier(mine, request.UserTier);
        var features = request.Features ?? [];
        if (features.Count > MaxFeatures) mine.Add(new FieldError("features", $"must list at most {MaxFeatures} features (got {features.Count})"));
        for (var i = 0; i < features.Count && i < MaxFeatures; i++)
            if (features[i] is not { } f || !EnforcementActions.IsFeatureName(f))
                mine.Add(new FieldError($"features[{i}]", "must be a feature name: lower-case letters, digits and underscores"));

        PdqResult? source = null;
        if (request.SourceImage is not null && request.SourceImagePdq is not null)
            mine.Add(new FieldError("sourceImagePdq", "give the source image or its PDQ hash, not both"));
        else if (request.SourceImagePdq is { } hex)
        {
            if (PdqHash.TryParse(hex, out var hash)) source = new PdqResult(hash, 100);
            else mine.Add(new FieldError("sourceImagePdq", "must be a PDQ hash: 64 hexadecimal digits"));
        }
        else if (request.SourceImage is { } base64)
        {
            var imageErrors = new List<FieldError>();
            var image = ImageField.Validate(ImageField.FromText(base64, options), options, imageErrors);
            mine.AddRange(imageErrors.Select(e => e with { Field = "sourceImage" }));
            if (image is not null)
            {
                if (ImageFingerprint.TryHash(image.Bytes) is { } fingerprint) source = fingerprint;
                else mine.Add(new FieldError("sourceImage", "could not be decoded to pixels"));
            }
        }

        errors.AddRange(mine.Select(e => e with { Field = prefix + e.Field }));
        return mine.Count > 0 ? null
            : new ValidCheck(checkId!, userId!, tier, request.AgeVerified, jurisdiction, prompt!, negative, model, features.Distinct().ToList(), source);
    }
}
