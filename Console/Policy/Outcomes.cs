using System.Text.RegularExpressions;
using ModerationConsole.Accounts;

namespace ModerationConsole.Policy;

/// <summary>
/// What a reviewed generation may come to besides approve and block: shown to adults only, shown with a label, kept
/// by its user but not distributed, or kept out of recommendations and search. Each outcome is either an approval or a
/// block underneath (<see cref="Decision"/>): strikes, queues and statistics follow that. A producer that has not
/// declared it understands outcomes reads a <see cref="Restricted"/> outcome as blocked, the safe reading.
/// </summary>
public sealed record OutcomeRule
{
    /// <summary>Stable key, e.g. <c>approve_age_restricted</c>; producers and exports read it.</summary>
    public required string Key { get; init; }
    public required string Label { get; init; }
    /// <summary>The review page's key for it (one lower-case letter).</summary>
    public string? Shortcut { get; init; }
    /// <summary>approved or blocked: what the outcome is underneath.</summary>
    public required string Decision { get; init; }
    /// <summary>Needs the platform to act on the file (gate, label, not distribute, demote): producers that have not declared outcomes read it as blocked.</summary>
    public bool Restricted { get; init; }
    /// <summary>The statement of reasons the user is given for a restriction (blocks give their categories' reasons).</summary>
    public string? Reason { get; init; }
    /// <summary>The DSA Transparency Database's decision_visibility value, e.g. DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED.</summary>
    public required string DsaVisibility { get; init; }
    /// <summary>
    /// The strike a restriction gives the user, for the enforcement ladder (0: none, the default). A block's strike is
    /// weighted by its categories (the enforcement policy's strikeWeights), so a block's outcome leaves this at 0.
    /// </summary>
    public int StrikeWeight { get; init; }
    /// <summary>Who may choose it; null: everyone who reviews.</summary>
    public IReadOnlyList<string>? Roles { get; init; }
    /// <summary>How the platform marks the file.</summary>
    public OutcomeMarking Marking { get; init; } = new();

    /// <summary>Neither plain approve nor plain block: stored as the decision's outcome, and offered besides the a and b keys.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsBetween => Key is not (Outcomes.Approve or Outcomes.Block);
}

/// <summary>What the platform writes into the file and shows beside it (docs/contract.md, "Marking").</summary>
public sealed record OutcomeMarking
{
    /// <summary>Visible label by language (BCP 47 primary tag); "en" is the fallback. Null: no visible label.</summary>
    public IReadOnlyDictionary<string, string>? Label { get; init; }
    /// <summary>Deliver to verified adults only.</summary>
    public bool AgeRestricted { get; init; }
    /// <summary>The user keeps the image; no sharing, no public gallery, a do-not-distribute assertion in the file.</summary>
    public bool DoNotDistribute { get; init; }
    /// <summary>Not recommended, not searchable.</summary>
    public bool LimitVisibility { get; init; }
}

/// <summary>
/// Routing settles a band of one category's score with an outcome instead of a review, for the items it applies to:
/// e.g. <c>sexual</c> from 0.5 to below 0.9 for a verified adult in a permitted jurisdiction → approve_age_restricted.
/// An item is approved so only when every category over its review threshold falls in such a band, with one outcome.
/// </summary>
public sealed record AutoOutcomeRule
{
    public required string Category { get; init; }
    public double From { get; init; }
    public double Below { get; init; } = 1;
    public required string Outcome { get; init; }
    /// <summary>true: only users whose age the platform verified; null: anyone.</summary>
    public bool? AgeVerified { get; init; }
    public IReadOnlyList<string>? Jurisdictions { get; init; }
    public IReadOnlyList<string>? UserTiers { get; init; }
    public string? Note { get; init; }

    public bool Applies(double score, RouteInput input) =>
        score >= From && score < Below
        && (AgeVerified is not { } verified || input.AgeVerified == verified)
        && (Jurisdictions is null || (input.Jurisdiction is { } j && Jurisdictions.Contains(j, StringComparer.OrdinalIgnoreCase)))
        && (UserTiers is null || (input.UserTier is { } t && UserTiers.Contains(t, StringComparer.OrdinalIgnoreCase)));
}

public static partial class Outcomes
{
    public const string Approve = "approve";
    public const string Block = "block";
    public const string AgeRestricted = "approve_age_restricted";
    public const string Labelled = "approve_labelled";
    public const string NoDistribution = "approve_no_distribution";
    public const string LimitVisibility = "limit_visibility";

    /// <summary>Review-page keys with another meaning; an outcome may not take them.</summary>
    public static readonly IReadOnlySet<string> ReservedShortcuts = new HashSet<string> { "e", "s", "r", "u", "o" };

    public static readonly IReadOnlyList<OutcomeRule> Defaults =
    [
        new() { Key = Approve, Label = "Approve", Shortcut = "a", Decision = "approved", DsaVisibility = "DECISION_VISIBILITY_NONE" },
        new()
        {
            Key = AgeRestricted, Label = "Adults only", Shortcut = "g", Decision = "approved", Restricted = true,
            DsaVisibility = "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
            Reason = "The image may be shown only to users whose age is verified as adult.",
            Marking = new() { AgeRestricted = true },
        },
        new()
        {
            Key = Labelled, Label = "Approve with a label", Shortcut = "l", Decision = "approved", Restricted = true,
            DsaVisibility = "DECISION_VISIBILITY_CONTENT_LABELLED",
            Reason = "The image is shown with a label saying it is AI-generated and may depict a real person.",
            Marking = new()
            {
                Label = new Dictionary<string, string>
                {
                    ["en"] = "AI-generated image", ["de"] = "KI-generiertes Bild", ["fr"] = "Image générée par IA",
                    ["es"] = "Imagen generada por IA", ["it"] = "Immagine generata dall'IA",
                },
            },
        },
        new()
        {
            Key = NoDistribution, Label = "Keep, do not distribute", Shortcut = "n", Decision = "approved", Restricted = true,
            DsaVisibility = "DECISION_VISIBILITY_OTHER",
            Reason = "You keep the image, but it may not be shared or shown in public galleries.",
            Marking = new() { DoNotDistribute = true },
        },
        new()
        {
            Key = LimitVisibility, Label = "Limit visibility", Shortcut = "v", Decision = "approved", Restricted = true,
            DsaVisibility = "DECISION_VISIBILITY_CONTENT_DEMOTED",
            Reason = "The image is not recommended and does not appear in search.",
            Marking = new() { LimitVisibility = true },
        },
        new() { Key = Block, Label = "Block", Shortcut = "b", Decision = "blocked", DsaVisibility = "DECISION_VISIBILITY_CONTENT_REMOVED" },
    ];

    /// <summary>The outcome a plain decision stands for when none was chosen.</summary>
    public static string Of(string decision) => decision == Decisions.DecisionKinds.Blocked ? Block : Approve;

    /// <summary>Problems with the policy's outcomes, each naming the outcome and field.</summary>
    public static IEnumerable<string> Validate(IReadOnlyList<OutcomeRule> outcomes)
    {
        if (outcomes.All(o => o.Key != Approve) || outcomes.All(o => o.Key != Block))
            yield return "outcomes: the approve and block outcomes are required";
        foreach (var duplicate in outcomes.GroupBy(o => o.Key).Where(g => g.Count() > 1))
            yield return $"outcomes: '{duplicate.Key}' appears more than once";
        foreach (var duplicate in outcomes.Where(o => o.Shortcut is not null).GroupBy(o => o.Shortcut).Where(g => g.Count() > 1))
            yield return $"outcomes: shortcut '{duplicate.Key}' is used by {string.Join(" and ", duplicate.Select(o => o.Key))}";
        for (var i = 0; i < outcomes.Count; i++)
        {
            var o = outcomes[i];
            var where = $"outcomes[{i}] ({o.Key})";
            if (!KeyPattern().IsMatch(o.Key ?? "")) yield return $"{where}.key: lower-case letters, digits and underscores";
            if (string.IsNullOrWhiteSpace(o.Label)) yield return $"{where}.label: required";
            if (o.Decision is not ("approved" or "blocked")) yield return $"{where}.decision: approved or blocked";
            if (o.Key == Approve && (o.Decision != "approved" || o.Restricted)) yield return $"{where}: approve is an unrestricted approval";
            if (o.Key == Block && o.Decision != "blocked") yield return $"{where}: block is a block";
            if (o.Restricted && o.Decision != "approved") yield return $"{where}.restricted: only an approval is restricted (a block already removes the image)";
            if (!o.Restricted && o.Decision == "approved" && o.Key != Approve)
                yield return $"{where}.restricted: an approval other than approve asks the platform to treat the file differently, so it is a restriction";
            if (o.Restricted && string.IsNullOrWhiteSpace(o.Reason)) yield return $"{where}.reason: a restriction needs the statement of reasons the user is given";
            if (o.Shortcut is { } key && (key.Length != 1 || !char.IsAsciiLetterLower(key[0]) || ReservedShortcuts.Contains(key)))
                yield return $"{where}.shortcut: one lower-case letter other than {string.Join(", ", ReservedShortcuts.Order())}";
            if (!o.DsaVisibility.StartsWith("DECISION_VISIBILITY_", StringComparison.Ordinal))
                yield return $"{where}.dsaVisibility: a Transparency Database value such as DECISION_VISIBILITY_CONTENT_LABELLED";
            foreach (var role in o.Roles ?? [])
                if (!Policies.RolesOf[Policies.Review].Contains(role)) yield return $"{where}.roles: '{role}' does not review";
            if (o.StrikeWeight is < 0 or > 100) yield return $"{where}.strikeWeight: 0 to 100";
            if (o.StrikeWeight != 0 && o.Decision == "blocked") yield return $"{where}.strikeWeight: a block's strike is weighted by its categories (enforcement.strikeWeights)";
            if (o.Marking.Label is { } label && !label.ContainsKey("en")) yield return $"{where}.marking.label: give the English text (\"en\"), the fallback";
        }
    }

    /// <summary>Problems with the policy's automatic outcomes, each naming the rule and field.</summary>
    public static IEnumerable<string> ValidateAutomatic(PolicyDocument policy)
    {
        for (var i = 0; i < policy.AutoOutcomes.Count; i++)
        {
            var a = policy.AutoOutcomes[i];
            var where = $"autoOutcomes[{i}] ({a.Category})";
            var category = policy.Find(a.Category);
            if (category is null) yield return $"{where}.category: not a category of the policy";
            else if (category.AlwaysHuman) yield return $"{where}.category: an always-human category is never decided by routing";
            if (a.From is < 0 or > 1 || a.Below is < 0 or > 1 || a.From >= a.Below) yield return $"{where}.from, below: 0 ≤ from < below ≤ 1";
            if (policy.FindOutcome(a.Outcome) is not { } outcome) yield return $"{where}.outcome: '{a.Outcome}' is not an outcome of the policy";
            else if (outcome.Decision != "approved" || !outcome.Restricted) yield return $"{where}.outcome: a restricted approval (a block is autoBlockAt's job)";
            if (a.Jurisdictions?.Any(j => j.Length != 2 || !j.All(char.IsAsciiLetterUpper)) == true)
                yield return $"{where}.jurisdictions: ISO 3166-1 alpha-2 codes in capitals, e.g. DE";
        }
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,39}$")]
    private static partial Regex KeyPattern();
}
