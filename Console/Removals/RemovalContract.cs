namespace ModerationConsole.Removals;

// The removal-request contract (docs/contract.md). Field names are a promise to producers.

/// <summary>
/// A request that generations come down, relayed by the producer from the person depicted or their representative:
/// the generations (by the producer's ids) or every generation of one of its users, and the ground.
/// </summary>
public sealed class RemovalRequestBody
{
    /// <summary>The producer's own id for the request: sending it again answers with the same receipt.</summary>
    public string? RequestId { get; set; }
    /// <summary>victim or representative.</summary>
    public string? RequesterKind { get; set; }
    public string? RequesterName { get; set; }
    /// <summary>Where the answer goes (an email address, or the producer's own reference for its user); the producer relays it.</summary>
    public string? Contact { get; set; }
    /// <summary>ncii, likeness, copyright or other.</summary>
    public string? Ground { get; set; }
    public string? Details { get; set; }
    public IReadOnlyList<string>? GenerationIds { get; set; }
    public string? UserId { get; set; }
}

/// <param name="Status">received, or duplicate when this request id had been received before.</param>
/// <param name="DueAt">When the platform must have acted: the deadline policy gives each ground (48 hours for NCII).</param>
public sealed record RemovalReceipt(long Id, string RequestId, string Status, DateTimeOffset ReceivedAt, DateTimeOffset DueAt);

/// <summary>Where a request stands, for the producer to answer the requester.</summary>
/// <param name="Status">open, actioned (the items are blocked and banked) or declined.</param>
/// <param name="Answer">What the console's staff answered, to relay to the requester.</param>
public sealed record RemovalStatus(long Id, string RequestId, string Status, DateTimeOffset ReceivedAt, DateTimeOffset DueAt,
    DateTimeOffset? AnsweredAt, string? Answer, int? ItemsBlocked);

public static class RemovalGrounds
{
    public const string Ncii = "ncii";
    public const string Likeness = "likeness";
    public const string Copyright = "copyright";
    public const string Other = "other";
    public static readonly IReadOnlyList<string> All = [Ncii, Likeness, Copyright, Other];

    public static string Label(string ground) => ground switch
    {
        Ncii => "Non-consensual intimate imagery",
        Likeness => "Likeness of a real person",
        Copyright => "Copyright",
        _ => "Other",
    };

    /// <summary>The policy categories a block on this ground suggests; the person acting may change them.</summary>
    public static IReadOnlyList<string> SuggestedCategories(string ground) => ground switch
    {
        Ncii => ["sexual", "real_person"],
        Likeness => ["real_person"],
        _ => [],
    };
}

public static class RemovalAuditActions
{
    public const string Received = "removal.received";
    public const string Reminder = "removal.reminder";
    public const string Actioned = "removal.actioned";
    public const string Declined = "removal.declined";
}

/// <summary>A request in the queue or on its page.</summary>
public sealed class RemovalRequestView
{
    public long Id { get; init; }
    public long ProducerId { get; init; }
    public string? ExternalId { get; init; }
    public string ReceivedVia { get; init; } = "";
    public string RequesterKind { get; init; } = "";
    public string? RequesterName { get; init; }
    public string Contact { get; init; } = "";
    public string Ground { get; init; } = "";
    public string? Details { get; init; }
    public long[] ItemIds { get; init; } = [];
    public string? UserId { get; init; }
    public DateTime ReceivedAt { get; init; }
    public DateTime DueAt { get; init; }
    public DateTime? RemindedHalfAt { get; init; }
    public DateTime? RemindedLateAt { get; init; }
    public string Status { get; init; } = "";
    public DateTime? AnsweredAt { get; init; }
    public string? AnsweredBy { get; init; }
    public string? Answer { get; init; }
    public int? ItemsBlocked { get; init; }

    public bool Overdue(DateTime now) => Status == "open" && DueAt < now;
    public TimeSpan Left(DateTime now) => DueAt - now;
}
