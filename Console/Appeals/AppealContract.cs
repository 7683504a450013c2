namespace ModerationConsole.Appeals;

// The appeals contract (docs/contract.md). Field names are a promise to producers.

/// <summary>
/// A user's appeal of a decision (<see cref="DecisionCursor"/>, the cursor of its notice) or of an action on their
/// account (<see cref="EnforcementId"/>), submitted by the producer. Exactly one of the two.
/// </summary>
public sealed class AppealRequest
{
    /// <summary>The producer's own id for the appeal: sending it again is answered with the same receipt.</summary>
    public string? AppealId { get; set; }
    public string? UserId { get; set; }
    public long? DecisionCursor { get; set; }
    public long? EnforcementId { get; set; }
    /// <summary>What the user says, as they wrote it; shown to the reviewer as text.</summary>
    public string? Statement { get; set; }
    /// <summary>The user's language (BCP 47) for the notice that answers the appeal.</summary>
    public string? Language { get; set; }
}

/// <param name="Status">received, or duplicate when this appeal id had been received before.</param>
/// <param name="DueAt">When the console's SLA says it should be decided.</param>
public sealed record AppealReceipt(string AppealId, string Status, DateTimeOffset ReceivedAt, DateTimeOffset DueAt);
