using ModerationConsole.Enforcement;

namespace ModerationConsole.Checks;

/// <summary>An hourly quota on a feature for users of some tiers, counted over a sliding hour of allowed checks.</summary>
public sealed record FeatureQuota
{
    /// <summary>The tiers it applies to; a check without a tier counts as the first of them when <see cref="IncludeUntiered"/>.</summary>
    public required IReadOnlyList<string> Tiers { get; init; }
    /// <summary>A feature name, or <c>*</c> for every generation.</summary>
    public required string Feature { get; init; }
    public required int PerHour { get; init; }
    /// <summary>Whether checks that name no tier count as low-trust.</summary>
    public bool IncludeUntiered { get; init; } = true;

    public bool AppliesTo(string? tier, IReadOnlyCollection<string> features) =>
        (tier is null ? IncludeUntiered : Tiers.Contains(tier, StringComparer.OrdinalIgnoreCase))
        && (Feature == AnyFeature || features.Contains(Feature));

    public const string AnyFeature = "*";
}

/// <summary>
/// When a user's checks were refused (denied) <see cref="Refusals"/> times within <see cref="WithinMinutes"/>, their
/// checks that would be allowed are allowed with review instead: someone probing for a way past the check gets the
/// generations that follow looked at.
/// </summary>
public sealed record RefusalSpike
{
    public required int Refusals { get; init; }
    public required int WithinMinutes { get; init; }
    public TimeSpan Window => TimeSpan.FromMinutes(WithinMinutes);
}

/// <summary>
/// The generation-time check's part of the policy: which features need a verified user (the seed's "require verified
/// access for sensitive features") and which hourly quotas low-trust tiers get. Term lists are managed apart
/// (<see cref="TermStore"/>); the prompt model's thresholds are the categories' own.
/// </summary>
public sealed record CheckPolicy
{
    /// <summary>Features a user may ask for only when the platform says they are age-verified or of a verified tier.</summary>
    public IReadOnlyList<string> VerifiedFeatures { get; init; } = [];
    /// <summary>Tiers that count as verified for <see cref="VerifiedFeatures"/>.</summary>
    public IReadOnlyList<string> VerifiedTiers { get; init; } = [];
    public IReadOnlyList<FeatureQuota> Quotas { get; init; } = [];
    /// <summary>Null: a spike of refusals changes nothing.</summary>
    public RefusalSpike? RefusalSpike { get; init; }

    public static readonly CheckPolicy Default = new()
    {
        VerifiedFeatures = ["photoreal_people", "adult", "real_person_edit"],
        VerifiedTiers = ["verified", "pro"],
        Quotas =
        [
            new() { Tiers = ["free", "new"], Feature = "photoreal_people", PerHour = 20 },
            new() { Tiers = ["free", "new"], Feature = "image_edit", PerHour = 30 },
        ],
        RefusalSpike = new() { Refusals = 5, WithinMinutes = 60 },
    };

    public bool IsVerified(string? tier, bool ageVerified) =>
        ageVerified || (tier is not null && VerifiedTiers.Contains(tier, StringComparer.OrdinalIgnoreCase));

    /// <summary>Problems, each naming the field.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        foreach (var feature in VerifiedFeatures.Where(f => !EnforcementActions.IsFeatureName(f)))
            problems.Add($"checks.verifiedFeatures: '{feature}' must be lower-case letters, digits and underscores");
        foreach (var tier in VerifiedTiers.Where(t => string.IsNullOrWhiteSpace(t) || t.Length > 64))
            problems.Add($"checks.verifiedTiers: '{tier}' must be 1 to 64 characters");
        for (var i = 0; i < Quotas.Count; i++)
        {
            var q = Quotas[i];
            var where = $"checks.quotas[{i}]";
            if (q.Tiers.Count == 0) problems.Add($"{where}.tiers: name at least one tier");
            if (q.Feature != FeatureQuota.AnyFeature && !EnforcementActions.IsFeatureName(q.Feature))
                problems.Add($"{where}.feature: must be a feature name or *");
            if (q.PerHour is < 1 or > 1_000_000) problems.Add($"{where}.perHour: must be from 1 to 1000000");
        }
        if (RefusalSpike is { } spike)
        {
            if (spike.Refusals is < 1 or > RefusalLog.MaxKept) problems.Add($"checks.refusalSpike.refusals: must be from 1 to {RefusalLog.MaxKept}");
            if (spike.WithinMinutes is < 1 or > 1_440) problems.Add("checks.refusalSpike.withinMinutes: must be from 1 to 1440 (a day)");
        }
        return problems;
    }
}
