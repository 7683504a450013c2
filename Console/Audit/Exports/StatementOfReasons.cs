namespace ModerationConsole.Audit.Exports;

/// <summary>
/// A blocked or restricted decision in the field layout of the EU DSA Transparency Database's statement of reasons (Article 17 and
/// 24(5) DSA): the names and enumerated values of its API, so the export can be submitted as it is.
/// </summary>
public sealed record StatementOfReasons(
    string Puid,
    IReadOnlyList<string> DecisionVisibility,
    string DecisionGround,
    string IncompatibleContentGround,
    string IncompatibleContentExplanation,
    string IncompatibleContentIllegal,
    IReadOnlyList<string> ContentType,
    string Category,
    string ContentDate,
    string ApplicationDate,
    string DecisionFacts,
    string SourceType,
    string AutomatedDetection,
    string AutomatedDecision,
    IReadOnlyList<string> TerritorialScope)
{
    /// <summary>EU and EEA member states: a blocked generation is withheld everywhere.</summary>
    public static readonly IReadOnlyList<string> Eea =
    [
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU",
        "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
    ];

    /// <summary>The Transparency Database category for each default policy category, where the policy names none.</summary>
    static readonly Dictionary<string, string> Categories = new(StringComparer.Ordinal)
    {
        ["sexual"] = "STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT",
        ["suggestive"] = "STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT",
        ["sexual_minors"] = "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
        ["violence"] = "STATEMENT_CATEGORY_VIOLENCE",
        ["self_harm"] = "STATEMENT_CATEGORY_SELF_HARM",
        ["hate"] = "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        ["harassment"] = "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        ["illicit"] = "STATEMENT_CATEGORY_UNSAFE_AND_ILLEGAL_PRODUCTS_OR_SERVICES",
        ["real_person"] = "STATEMENT_CATEGORY_NON_CONSENSUAL_BEHAVIOUR",
    };

    /// <summary>Categories whose content is illegal in itself, where the policy does not say.</summary>
    static readonly HashSet<string> IllegalInItself = new(StringComparer.Ordinal) { "sexual_minors" };

    /// <summary>The Transparency Database category used for <paramref name="category"/> when the policy names none.</summary>
    public static string DefaultDsaCategory(string category) => Categories.GetValueOrDefault(category, "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE");

    /// <param name="policy">The policy whose categories may name their DSA category and illegality; null: the defaults.</param>
    public static StatementOfReasons For(DecisionRecord decision, Policy.PolicyDocument? policy = null)
    {
        // The Transparency Database takes one category per statement: the first (most severe) found.
        var first = decision.Categories.FirstOrDefault() ?? "";
        var outcome = decision.Outcome is { } key ? policy?.FindOutcome(key) : null;
        var visibility = outcome?.DsaVisibility ?? "DECISION_VISIBILITY_CONTENT_REMOVED";
        var done = decision.Decision == "blocked" ? "blocked" : $"restricted ({outcome?.Label ?? decision.Outcome})";
        string DsaCategory(string name) => policy?.Find(name)?.DsaCategory ?? DefaultDsaCategory(name);
        bool Illegal(string name) => policy?.Find(name)?.IllegalContent ?? IllegalInItself.Contains(name);
        return new StatementOfReasons(
            Puid: $"moderation-console-decision-{decision.Id}",
            DecisionVisibility: [visibility],
            DecisionGround: "DECISION_GROUND_INCOMPATIBLE_CONTENT",
            IncompatibleContentGround: $"Content policy: {string.Join(", ", decision.Categories)}",
            IncompatibleContentExplanation: decision.Reason,
            IncompatibleContentIllegal: decision.Categories.Any(Illegal) ? "Yes" : "No",
            ContentType: ["CONTENT_TYPE_IMAGE", "CONTENT_TYPE_SYNTHETIC_MEDIA"],
            Category: DsaCategory(first),
            ContentDate: decision.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            ApplicationDate: decision.DecidedAt.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            DecisionFacts: $"An AI-generated image, flagged by the generation platform's filters, was " +
                           $"{(decision.Automated ? $"{done} automatically because its classifier scores crossed the policy's threshold" : $"reviewed by a human moderator and {done}")}. {decision.Reason}",
            SourceType: "SOURCE_VOLUNTARY",
            AutomatedDetection: "Yes",
            AutomatedDecision: decision.Automated ? "AUTOMATED_DECISION_FULLY" : "AUTOMATED_DECISION_NOT_AUTOMATED",
            TerritorialScope: Eea);
    }
}
