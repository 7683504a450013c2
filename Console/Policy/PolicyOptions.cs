namespace ModerationConsole.Policy;

/// <summary>The policy a new database starts with (section "Policy" of appsettings.json). Later changes are versioned in the database.</summary>
public sealed class PolicyOptions
{
    public const string Section = "Policy";

    public List<CategoryRule> Categories { get; set; } = [];

    /// <summary>Overrides per jurisdiction and user tier; used with the configured categories (the defaults come with their own).</summary>
    public List<PolicyOverride> Overrides { get; set; } = [];

    /// <summary>Strikes, the enforcement ladder and appeals; absent: the default ladder, for the categories there are.</summary>
    public Enforcement.EnforcementPolicy? Enforcement { get; set; }

    public PolicyDocument ToDocument()
    {
        var document = Categories.Count > 0
            ? new PolicyDocument(Categories) { Overrides = Overrides }
            : new PolicyDocument(DefaultPolicy.Categories) { Overrides = Overrides.Count > 0 ? Overrides : DefaultPolicy.Overrides };
        return document with
        {
            Enforcement = Enforcement ?? ModerationConsole.Enforcement.EnforcementPolicy.Default.For(document.Categories.Select(c => c.Name).ToList()),
        };
    }
}

public static class DefaultPolicy
{
    public static readonly IReadOnlyList<CategoryRule> Categories =
    [
        new() { Name = "sexual_minors", Label = "Sexual content involving minors", ReviewAt = 0.2, AlwaysHuman = true, Severity = 100,
            Reason = "The image was removed because it sexualises, or may sexualise, a minor." },
        new() { Name = "self_harm", Label = "Self-harm", ReviewAt = 0.4, AutoBlockAt = 0.95, Severity = 70,
            Reason = "The image was removed because it depicts or encourages self-harm." },
        new() { Name = "sexual", Label = "Sexual content", ReviewAt = 0.5, AutoBlockAt = 0.9, Severity = 60,
            Reason = "The image was removed because it contains sexual content that the platform does not allow." },
        new() { Name = "hate", Label = "Hate", ReviewAt = 0.5, AutoBlockAt = 0.9, Severity = 55,
            Reason = "The image was removed because it promotes hatred against a protected group." },
        new() { Name = "violence", Label = "Violence and gore", ReviewAt = 0.5, AutoBlockAt = 0.92, Severity = 50,
            Reason = "The image was removed because it depicts graphic violence." },
        new() { Name = "real_person", Label = "Likeness of a real person", ReviewAt = 0.5, AutoBlockAt = 0.97, Severity = 45,
            Reason = "The image was removed because it depicts a real, identifiable person without their consent." },
        new() { Name = "illicit", Label = "Illicit goods and activities", ReviewAt = 0.6, AutoBlockAt = 0.95, Severity = 40,
            Reason = "The image was removed because it promotes illegal goods or activities." },
        new() { Name = "harassment", Label = "Harassment", ReviewAt = 0.6, AutoBlockAt = 0.95, Severity = 30,
            Reason = "The image was removed because it harasses or demeans a person." },
        // Sexually suggestive but not explicit (the default image model's "Sexy": swimwear, underwear, poses): a person
        // looks when the model is sure, nothing is blocked on it alone.
        new() { Name = "suggestive", Label = "Suggestive (not explicit)", ReviewAt = 0.9, Severity = 20,
            Reason = "The image was removed because it is sexually suggestive in a way the platform does not allow." },
    ];

    /// <summary>
    /// Photorealistic likenesses of real people are for verified (adult) users: for everyone else they are blocked
    /// without waiting for a person from 0.85 rather than 0.97. An example to edit on the policy page, like all of it.
    /// </summary>
    public static readonly IReadOnlyList<PolicyOverride> Overrides =
    [
        new() { Category = "real_person", ExceptUserTiers = ["verified"], AutoBlockAt = 0.85,
            Note = "photorealistic likenesses of real people only for verified adult users" },
    ];
}
