namespace ModerationConsole.Enforcement;

/// <summary>The actions of the ladder, mildest first, as the producer receives them.</summary>
public static class EnforcementActions
{
    public const string Warn = "warn";
    public const string Restrict = "restrict";
    public const string RequireVerification = "require_verification";
    public const string Suspend = "suspend";
    public const string Ban = "ban";

    public static readonly IReadOnlyList<string> All = [Warn, Restrict, RequireVerification, Suspend, Ban];

    /// <summary>Actions a moderator may take by hand; the others need a senior.</summary>
    public static readonly IReadOnlyList<string> ForModerators = [Warn, Restrict, RequireVerification];

    /// <summary>A feature the platform gates, named as the platform names it: lower-case letters, digits and underscores.</summary>
    public static bool IsFeatureName(string name) =>
        name.Length is > 0 and <= 40 && name.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_');
}

/// <summary>
/// One rung of the ladder: once a user's active strike weight reaches <see cref="Threshold"/>, the action is applied
/// (or, when not <see cref="Automatic"/>, proposed to a senior). Only the highest rung reached is applied.
/// </summary>
public sealed record LadderStep
{
    public required int Threshold { get; init; }
    public required string Action { get; init; }
    /// <summary>For <c>restrict</c>: the features the user loses.</summary>
    public IReadOnlyList<string> Features { get; init; } = [];
    /// <summary>For <c>restrict</c>: at most this many generations an hour instead of (or besides) features.</summary>
    public int? HourlyQuota { get; init; }
    /// <summary>How long the action lasts; null: until lifted (a ban, a verification requirement).</summary>
    public int? DurationHours { get; init; }
    /// <summary>False: a proposal that a senior confirms or dismisses on the account page.</summary>
    public bool Automatic { get; init; } = true;
}

/// <summary>
/// The account level of the policy: what a block costs the user (strike weights, expiry), the ladder of actions, the
/// categories that ban at once when a senior confirms them, and the appeal window and SLA (DSA Art. 20).
/// </summary>
public sealed record EnforcementPolicy
{
    public int StrikeExpiryDays { get; init; } = 90;
    /// <summary>Weight of a strike per category; a block's strike weighs as its heaviest category. Unlisted: 1.</summary>
    public IReadOnlyDictionary<string, int> StrikeWeights { get; init; } = new Dictionary<string, int>();
    public IReadOnlyList<LadderStep> Steps { get; init; } = [];
    /// <summary>Categories whose block by a person bans the account at once, whatever its strikes.</summary>
    public IReadOnlyList<string> BanAtOnce { get; init; } = [];
    /// <summary>How long after a decision its user may appeal (the DSA asks for at least six months).</summary>
    public int AppealWindowDays { get; init; } = 183;
    /// <summary>How soon an appeal should be decided; the appeals queue is ordered by this deadline.</summary>
    public int AppealSlaHours { get; init; } = 72;

    public int WeightOf(IEnumerable<string> categories) =>
        categories.Select(c => StrikeWeights.TryGetValue(c, out var w) ? w : 1).DefaultIfEmpty(1).Max();

    /// <summary>The highest step whose threshold <paramref name="weight"/> reaches; null below the first.</summary>
    public LadderStep? StepFor(int weight) => Steps.Where(s => s.Threshold <= weight).MaxBy(s => s.Threshold);

    public static readonly EnforcementPolicy Default = new()
    {
        StrikeWeights = new Dictionary<string, int> { ["sexual_minors"] = 10, ["self_harm"] = 1, ["real_person"] = 2 },
        BanAtOnce = ["sexual_minors"],
        Steps =
        [
            new() { Threshold = 1, Action = EnforcementActions.Warn },
            new() { Threshold = 3, Action = EnforcementActions.Restrict, Features = ["photoreal_people", "adult", "image_edit"], DurationHours = 7 * 24 },
            new() { Threshold = 5, Action = EnforcementActions.Suspend, DurationHours = 72 },
            new() { Threshold = 8, Action = EnforcementActions.Ban, Automatic = false },
        ],
    };

    /// <summary>This policy with the weights and bans of categories not in <paramref name="categories"/> left out.</summary>
    public EnforcementPolicy For(IReadOnlyCollection<string> categories) => this with
    {
        StrikeWeights = StrikeWeights.Where(w => categories.Contains(w.Key)).ToDictionary(),
        BanAtOnce = BanAtOnce.Where(categories.Contains).ToList(),
    };

    /// <summary>Problems, each naming the field; <paramref name="categories"/> are the policy's category names.</summary>
    public IReadOnlyList<string> Validate(IReadOnlyCollection<string> categories)
    {
        var problems = new List<string>();
        if (StrikeExpiryDays is < 1 or > 3650) problems.Add("enforcement.strikeExpiryDays: must be from 1 to 3650");
        if (AppealWindowDays is < 1 or > 3650) problems.Add("enforcement.appealWindowDays: must be from 1 to 3650");
        if (AppealSlaHours is < 1 or > 24 * 90) problems.Add("enforcement.appealSlaHours: must be from 1 to 2160");
        foreach (var (category, weight) in StrikeWeights)
        {
            if (!categories.Contains(category)) problems.Add($"enforcement.strikeWeights.{category}: not a category of the policy");
            if (weight is < 1 or > 100) problems.Add($"enforcement.strikeWeights.{category}: must be from 1 to 100");
        }
        foreach (var category in BanAtOnce.Where(c => !categories.Contains(c)))
            problems.Add($"enforcement.banAtOnce: '{category}' is not a category of the policy");
        foreach (var duplicate in Steps.GroupBy(s => s.Threshold).Where(g => g.Count() > 1))
            problems.Add($"enforcement.steps: threshold {duplicate.Key} appears more than once");
        for (var i = 0; i < Steps.Count; i++)
        {
            var s = Steps[i];
            var where = $"enforcement.steps[{i}]";
            if (s.Threshold is < 1 or > 1000) problems.Add($"{where}.threshold: must be from 1 to 1000");
            if (!EnforcementActions.All.Contains(s.Action))
                problems.Add($"{where}.action: must be one of {string.Join(", ", EnforcementActions.All)}");
            if (s.Action == EnforcementActions.Restrict && s.Features.Count == 0 && s.HourlyQuota is null)
                problems.Add($"{where}: a restriction names features or an hourlyQuota");
            if (s.Action != EnforcementActions.Restrict && (s.Features.Count > 0 || s.HourlyQuota is not null))
                problems.Add($"{where}: only a restrict step has features or an hourlyQuota");
            foreach (var feature in s.Features.Where(f => !EnforcementActions.IsFeatureName(f)))
                problems.Add($"{where}.features: '{feature}' must be lower-case letters, digits and underscores");
            if (s.HourlyQuota is < 1 or > 100_000) problems.Add($"{where}.hourlyQuota: must be from 1 to 100000");
            if (s.DurationHours is < 1 or > 24 * 3650) problems.Add($"{where}.durationHours: must be from 1 to 87600, or absent for until lifted");
        }
        return problems;
    }
}
