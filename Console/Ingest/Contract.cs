namespace ModerationConsole.Ingest;

// The public ingest contract (PRODUCT.md). Field names and meanings are a promise to producers:
// change them only with a new API version.

/// <summary>A generation that the producer's own filters flagged.</summary>
public sealed class FlaggedGeneration
{
    public string? GenerationId { get; set; }
    public string? UserId { get; set; }
    public string? Prompt { get; set; }
    public string? NegativePrompt { get; set; }
    public string? Model { get; set; }
    /// <summary>ISO-8601 date-time, kept as text so a malformed value is a field error, not a transport error.</summary>
    public string? CreatedAt { get; set; }
    /// <summary>Base64 of PNG, JPEG or WebP bytes.</summary>
    public string? Image { get; set; }
    public Dictionary<string, double>? Scores { get; set; }
    public string? Jurisdiction { get; set; }
    public string? UserTier { get; set; }
    public bool? AgeVerified { get; set; }
    public Dictionary<string, string>? Metadata { get; set; }
    /// <summary>The user's language (BCP 47, e.g. "de" or "pt-BR"): notices to this user are written in it where the console can.</summary>
    public string? Language { get; set; }
}

public static class ReceiptStatus
{
    public const string Accepted = "accepted";
    public const string Duplicate = "duplicate";
    public const string Rejected = "rejected";
}

public sealed record FieldError(string Field, string Message);

/// <summary>The body of every HTTP error the producer API answers: each problem names its field.</summary>
public sealed record FieldErrors(IReadOnlyList<FieldError> Errors)
{
    public static FieldErrors Of(string field, string message) => new([new FieldError(field, message)]);

    /// <summary>A body that is not the JSON asked for, named by the path where reading it failed.</summary>
    public static FieldErrors OfJson(System.Text.Json.JsonException ex) =>
        Of(ex.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "body", $"is not valid: {ex.Message}");
}

/// <summary>A request refused as a whole: each error names its field, and nothing was stored.</summary>
public sealed class FieldErrorsException(IReadOnlyList<FieldError> errors) : Exception(string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")))
{
    public IReadOnlyList<FieldError> Errors { get; } = errors;

    public static FieldErrorsException Of(string field, string message) => new([new FieldError(field, message)]);
}

public sealed record IngestReceipt(
    string? GenerationId,
    string Status,
    long? ItemId,
    string? Route,
    IReadOnlyList<FieldError>? Errors)
{
    public static IngestReceipt Rejected(string? generationId, IReadOnlyList<FieldError> errors) =>
        new(generationId, ReceiptStatus.Rejected, null, null, errors);
}

/// <summary>
/// Sent to the producer (hub method <c>Decision</c>, and GET /api/v1/decisions) for every final decision. When a senior
/// overturns a decision, a new notice for the same generation follows with <see cref="Overturns"/> naming the cursor of
/// the decision it replaces: the latest notice of a generation is the one that stands.
/// </summary>
public sealed record DecisionNotice(
    string GenerationId,
    long ItemId,
    string Decision,
    IReadOnlyList<string> Categories,
    string Reason,
    bool Automated,
    DateTimeOffset DecidedAt,
    long Cursor,
    long? Overturns = null,
    string? Outcome = null,
    Decisions.Marking? Marking = null);

public sealed record DecisionPage(IReadOnlyList<DecisionNotice> Decisions, long Cursor);
