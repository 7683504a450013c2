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
}

public sealed record PolicyDocument(IReadOnlyList<CategoryRule> Categories)
{
    public CategoryRule? Find(string category) => Categories.FirstOrDefault(c => c.Name == category);

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
            if (c.Severity is < 0 or > 1000) problems.Add($"category '{c.Name}': severity must be in [0, 1000]");
            if (string.IsNullOrWhiteSpace(c.Reason)) problems.Add($"category '{c.Name}': reason is required");
        }
        return problems;
    }
}

/// <summary>The active policy and its version number, which routing records on every item.</summary>
public sealed record ActivePolicy(int Version, PolicyDocument Document);
