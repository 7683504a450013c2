namespace ModerationConsole.Checks;

// The generation-time check's contract (docs/contract.md): field names are a promise to producers.

/// <summary>What the platform is about to generate, asked before it runs its model.</summary>
/// <param name="CheckId">The producer's id for this check: asking again with it answers the stored verdict (no double count).</param>
/// <param name="Features">What the generation uses, e.g. photoreal_people, adult, image_edit, real_person_edit.</param>
/// <param name="SourceImage">For an edit: the source image, base64 (PNG, JPEG or WebP).</param>
/// <param name="SourceImagePdq">For an edit: the source image's PDQ hash (64 hex digits), instead of the image.</param>
public sealed record CheckRequest(
    string? CheckId,
    string? UserId,
    string? UserTier,
    bool AgeVerified,
    string? Jurisdiction,
    string? Prompt,
    string? NegativePrompt,
    string? Model,
    IReadOnlyList<string>? Features,
    string? SourceImage = null,
    string? SourceImagePdq = null);

/// <summary>The answer: what to do, every layer's reasons, and when to ask again if rate-limited.</summary>
/// <param name="Verdict">allow, allow_with_review (generate, then send the result for review), deny, require_verification, rate_limited.</param>
/// <param name="RetryAfter">Seconds until a rate-limited or suspended user may ask again.</param>
/// <param name="NoticeTemplate">For a refusal the user should be told about: the notice kind whose wording applies (see /admin/notices).</param>
public sealed record CheckVerdict(string CheckId, string Verdict, IReadOnlyList<CheckReason> Reasons, int? RetryAfter, string? NoticeTemplate);

/// <param name="Layer">standing, verified_access, quota, terms, prompt_model, source_image.</param>
/// <param name="Shadow">A rule being tried out: reported, not enforced.</param>
public sealed record CheckReason(string Layer, string Code, string? Category, string Detail, bool Shadow = false);

public sealed record CheckBatch(IReadOnlyList<CheckRequest>? Checks);

public sealed record CheckBatchVerdicts(IReadOnlyList<CheckVerdict> Verdicts);

public static class Verdicts
{
    public const string Allow = "allow";
    public const string AllowWithReview = "allow_with_review";
    public const string Deny = "deny";
    public const string RequireVerification = "require_verification";
    public const string RateLimited = "rate_limited";

    /// <summary>The graver of two verdicts: deny, then require_verification, rate_limited, allow_with_review, allow.</summary>
    public static string Graver(string a, string b) => Rank(a) >= Rank(b) ? a : b;

    private static int Rank(string verdict) => verdict switch
    {
        Deny => 4, RequireVerification => 3, RateLimited => 2, AllowWithReview => 1, _ => 0,
    };

    public static bool Allows(string verdict) => verdict is Allow or AllowWithReview;
}
