namespace ModerationConsole.Policy;

/// <summary>
/// One policy category: the score at which an item waits for a human, the score at which it is blocked without one,
/// and how urgent it is. <see cref="AlwaysHuman"/> categories (e.g. sexual_minors) are never decided by automation:
/// anything at or over <see cref="ReviewAt"/> goes to the escalation queue for a senior moderator.
/// </summary>
public sealed record CategoryRule
{
    public required string Name { get; init; }
    public required string Label { get; init; }
    public double ReviewAt { get; init; } = 0.5;
    /// <summary>Null: never blocked automatically.</summary>
    public double? AutoBlockAt { get; init; }
    public int Severity { get; init; } = 50;
    public bool AlwaysHuman { get; init; }
    /// <summary>The statement of reasons the platform shows its user when this category is the cause of a block.</summary>
    public required string Reason { get; init; }
    /// <summary>
    /// The EU DSA Transparency Database category for statements of reasons (e.g. STATEMENT_CATEGORY_VIOLENCE); null: the
    /// console's default for the category name, or STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE for unknown ones.
    /// </summary>
    public string? DsaCategory { get; init; }
    /// <summary>Content of this category is illegal in itself, not only against the platform's terms (DSA statement field).</summary>
    public bool? IllegalContent { get; init; }
}

/// <summary>
/// A change of one category's thresholds for some jurisdictions and/or user tiers, e.g. stricter sexual-content blocking
/// in the EU, or real-person likenesses blocked sooner unless the user is verified. Null lists match anything.
/// </summary>
public sealed record PolicyOverride
{
    public required string Category { get; init; }
    /// <summary>ISO 3166-1 alpha-2 codes; null: every jurisdiction (including none given).</summary>
    public IReadOnlyList<string>? Jurisdictions { get; init; }
    /// <summary>User tiers this applies to; null: every tier.</summary>
    public IReadOnlyList<string>? UserTiers { get; init; }
    /// <summary>User tiers this does not apply to (e.g. "verified"); a missing tier is never excepted.</summary>
    public IReadOnlyList<string>? ExceptUserTiers { get; init; }
    public double? ReviewAt { get; init; }
    public double? AutoBlockAt { get; init; }
    /// <summary>Why the override exists, for the next admin.</summary>
    public string? Note { get; init; }

    public bool Applies(string? jurisdiction, string? userTier) =>
        (Jurisdictions is null || (jurisdiction is not null && Jurisdictions.Contains(jurisdiction, StringComparer.OrdinalIgnoreCase)))
        && (UserTiers is null || (userTier is not null && UserTiers.Contains(userTier, StringComparer.OrdinalIgnoreCase)))
        && (ExceptUserTiers is null || userTier is null || !ExceptUserTiers.Contains(userTier, StringComparer.OrdinalIgnoreCase));
}

public sealed record PolicyDocument(IReadOnlyList<CategoryRule> Categories)
{
    /// <summary>The category no automation decides, whatever the policy says of its thresholds.</summary>
    public const string ChildSafetyCategory = "sexual_minors";

    /// <summary>Applied in order: a later matching override replaces what an earlier one set.</summary>
    public IReadOnlyList<PolicyOverride> Overrides { get; init; } = [];

    /// <summary>The account level: strikes, the enforcement ladder, appeals. Documents saved without it get the default.</summary>
    public Enforcement.EnforcementPolicy Enforcement { get; init; } = ModerationConsole.Enforcement.EnforcementPolicy.Default;

    /// <summary>What the generation-time check enforces besides the categories' thresholds. Documents saved without it get the default.</summary>
    public Checks.CheckPolicy Checks { get; init; } = ModerationConsole.Checks.CheckPolicy.Default;

    /// <summary>What a reviewed generation may come to (<see cref="OutcomeRule"/>). Documents saved without them get the defaults.</summary>
    public IReadOnlyList<OutcomeRule> Outcomes { get; init; } = Policy.Outcomes.Defaults;

    public CategoryRule? Find(string category) => Categories.FirstOrDefault(c => c.Name == category);

    /// <summary>Score bands routing settles with an outcome instead of a review (<see cref="AutoOutcomeRule"/>); none by default.</summary>
    public IReadOnlyList<AutoOutcomeRule> AutoOutcomes { get; init; } = [];

    public OutcomeRule? FindOutcome(string key) => Outcomes.FirstOrDefault(o => o.Key == key);

    /// <summary>The category's rule as it applies to an item from <paramref name="jurisdiction"/> and <paramref name="userTier"/>.</summary>
    public CategoryRule? RuleFor(string category, string? jurisdiction, string? userTier)
    {
        var rule = Find(category);
        if (rule is null || Overrides.Count == 0) return rule;
        foreach (var o in Overrides)
        {
            if (o.Category != category || !o.Applies(jurisdiction, userTier)) continue;
            rule = rule with { ReviewAt = o.ReviewAt ?? rule.ReviewAt, AutoBlockAt = o.AutoBlockAt ?? rule.AutoBlockAt };
        }
        return rule;
    }

    /// <summary>Problems that make the document unusable, each naming the category and field.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Categories.Count == 0) problems.Add("a policy needs at least one category");
        foreach (var duplicate in Categories.GroupBy(c => c.Name).Where(g => g.Count() > 1))
            problems.Add($"category '{duplicate.Key}' appears more than once");
        foreach (var c in Categories)
        {
            if (string.IsNullOrWhiteSpace(c.Name) || !c.Name.All(ch => ch is >= 'a' and <= 'z' or >= '0' and <= '9' or '_'))
                problems.Add($"category '{c.Name}': name must be lower-case letters, digits and underscores");
            if (c.ReviewAt is < 0 or > 1) problems.Add($"category '{c.Name}': reviewAt must be in [0, 1]");
            if (c.AutoBlockAt is { } block && (block < c.ReviewAt || block > 1))
                problems.Add($"category '{c.Name}': autoBlockAt must be between reviewAt and 1");
            if (c.AlwaysHuman && c.AutoBlockAt is not null)
                problems.Add($"category '{c.Name}': an always-human category cannot have autoBlockAt");
            // Nothing the console scores or learns may decide sexual content involving minors: a person always does.
            if (c.Name == ChildSafetyCategory && !c.AlwaysHuman)
                problems.Add($"category '{c.Name}': alwaysHuman must stay on (a person decides every such item)");
            if (c.Severity is < 0 or > 1000) problems.Add($"category '{c.Name}': severity must be in [0, 1000]");
            if (string.IsNullOrWhiteSpace(c.Reason)) problems.Add($"category '{c.Name}': reason is required");
            if (c.DsaCategory is { } dsa && (!dsa.StartsWith("STATEMENT_CATEGORY_", StringComparison.Ordinal) || !dsa.All(ch => ch is >= 'A' and <= 'Z' or '_')))
                problems.Add($"category '{c.Name}': dsaCategory must be a Transparency Database category such as STATEMENT_CATEGORY_VIOLENCE");
        }
        for (var i = 0; i < Overrides.Count; i++)
        {
            var o = Overrides[i];
            var where = $"override {i + 1} ({o.Category})";
            if (Find(o.Category) is not { } rule) { problems.Add($"{where}: category '{o.Category}' is not in the policy"); continue; }
            if (o.ReviewAt is < 0 or > 1) problems.Add($"{where}: reviewAt must be in [0, 1]");
            if (o.AutoBlockAt is < 0 or > 1) problems.Add($"{where}: autoBlockAt must be in [0, 1]");
            if (rule.AlwaysHuman && o.AutoBlockAt is not null) problems.Add($"{where}: an always-human category cannot have autoBlockAt");
            var merged = rule with { ReviewAt = o.ReviewAt ?? rule.ReviewAt, AutoBlockAt = o.AutoBlockAt ?? rule.AutoBlockAt };
            if (merged.AutoBlockAt is { } block && block < merged.ReviewAt) problems.Add($"{where}: autoBlockAt must not be below reviewAt");
            if (o.Jurisdictions?.Any(j => j.Length != 2 || !j.All(char.IsAsciiLetterUpper)) == true)
                problems.Add($"{where}: jurisdictions must be ISO 3166-1 alpha-2 codes in capitals, e.g. DE");
            if (o.Jurisdictions is null && o.UserTiers is null && o.ExceptUserTiers is null)
                problems.Add($"{where}: name the jurisdictions or user tiers it applies to (else change the category itself)");
        }
        problems.AddRange(Enforcement.Validate(Categories.Select(c => c.Name).ToHashSet()));
        problems.AddRange(Checks.Validate());
        problems.AddRange(Policy.Outcomes.Validate(Outcomes));
        problems.AddRange(Policy.Outcomes.ValidateAutomatic(this));
        return problems;
    }
}

/// <summary>The active policy and its version number, which routing records on every item.</summary>
public sealed record ActivePolicy(int Version, PolicyDocument Document);
