namespace ModerationConsole.Cases;

// The manifest of an evidence bundle (manifest.json). Its field names are a promise to whoever verifies a bundle years
// later: add fields, never rename them.

public sealed record EvidenceManifest(
    string Format,
    EvidenceCase Case,
    DateTimeOffset SealedAt,
    string SealedBy,
    IReadOnlyList<EvidenceItem> Items,
    IReadOnlyList<EvidenceFile> Files,
    IReadOnlyList<EvidenceAuditEntry> Audit)
{
    public const string CurrentFormat = "moderation-console-evidence/1";
    public const string FileName = "manifest.json";
}

public sealed record EvidenceCase(long Id, string Kind, string Status, string Producer, string UserId, string Summary, DateTimeOffset OpenedAt,
    string? ReportId, DateTimeOffset? ReportedAt);

/// <param name="Metadata">What the producer sent with the generation (seed, sampler and the like), as it sent it.</param>
/// <param name="ContentPurgedAt">When retention removed the prompt and metadata; they read empty from then on.</param>
public sealed record EvidenceItem(long ItemId, string GenerationId, string UserId, string? UserTier, string? Jurisdiction, bool? AgeVerified,
    string Prompt, string? NegativePrompt, string? Model, System.Text.Json.JsonElement? Metadata, DateTimeOffset CreatedAt, DateTimeOffset ReceivedAt,
    DateTimeOffset? ContentPurgedAt, EvidenceImage Image, IReadOnlyList<EvidenceDecision> Decisions);

/// <param name="Path">The file in the bundle; null when retention removed the bytes before the case held them.</param>
public sealed record EvidenceImage(string? Path, string ContentType, int Width, int Height, string Sha256, string? Md5, string? Pdq, int? PdqQuality,
    DateTimeOffset? PurgedAt);

public sealed record EvidenceDecision(long Id, string Decision, IReadOnlyList<string> Categories, string Reason, string? Note, bool Automated,
    string? DecidedBy, DateTimeOffset DecidedAt, long? Overturns);

public sealed record EvidenceFile(string Path, long Bytes, string Sha256, string Md5);

/// <summary>An audit entry with its link in the hash chain, exactly as hashed: <see cref="At"/> and <see cref="Details"/> are the canonical text.</summary>
public sealed record EvidenceAuditEntry(long Position, long EntryId, string At, string ActorKind, string ActorId, string Action, long? ItemId,
    string Details, string Previous, string Hash);
