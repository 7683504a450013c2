namespace ModerationConsole.Heads;

/// <summary>
/// One item's final human decision as a label for the image heads, with the image's stored embedding: which categories
/// a moderator blocked it for (none: a plain approval), who decided, whose item it was, and when.
/// </summary>
public sealed record LabelledEmbedding(long ItemId, float[] Vector, IReadOnlySet<string> BlockedFor, bool Approved, long Moderator, string User,
    DateTimeOffset DecidedAt)
{
    /// <summary>True: a positive for the category; false: a negative; null: says nothing about it (a block for other categories).</summary>
    public bool? LabelFor(string category) => BlockedFor.Contains(category) ? true : Approved ? false : null;
}

/// <summary>A category's examples split for training and for the held-out test.</summary>
public sealed record CategorySplit(string Category, IReadOnlyList<(float[] Vector, bool Label)> Training, IReadOnlyList<(float[] Vector, bool Label)> HeldOut,
    int Moderators, DateTimeOffset From, DateTimeOffset To);

/// <summary>
/// Splits one category's labels so the test says how a head does on traffic it has not seen: stratified (the latest
/// 20% of the positives and, apart, of the negatives are held out, so a rare category still has positives to test on),
/// by time (the held-out part is the newest), and by user (no user with a held-out item is trained on, so one user's
/// near-identical pictures cannot sit on both sides). Random rows would report the model's memory, not its skill.
/// </summary>
public static class StratifiedSplit
{
    public const double HeldOutShare = 0.2;

    public static CategorySplit For(string category, IReadOnlyList<LabelledEmbedding> labelled)
    {
        var examples = labelled.Select(l => (Example: l, Label: l.LabelFor(category))).Where(e => e.Label is not null)
            .Select(e => (e.Example, Label: e.Label!.Value)).ToList();
        var heldOut = new List<(LabelledEmbedding Example, bool Label)>();
        foreach (var side in new[] { true, false })
        {
            var ordered = examples.Where(e => e.Label == side).OrderBy(e => e.Example.DecidedAt).ThenBy(e => e.Example.ItemId).ToList();
            heldOut.AddRange(ordered.Skip(ordered.Count - (int)Math.Ceiling(ordered.Count * HeldOutShare)));
        }
        var heldOutItems = heldOut.Select(e => e.Example.ItemId).ToHashSet();
        var heldOutUsers = heldOut.Select(e => e.Example.User).ToHashSet(StringComparer.Ordinal);
        var training = examples.Where(e => !heldOutItems.Contains(e.Example.ItemId) && !heldOutUsers.Contains(e.Example.User)).ToList();
        return new CategorySplit(category,
            training.Select(e => (e.Example.Vector, e.Label)).ToList(),
            heldOut.Select(e => (e.Example.Vector, e.Label)).ToList(),
            examples.Select(e => e.Example.Moderator).Distinct().Count(),
            examples.Count == 0 ? default : examples.Min(e => e.Example.DecidedAt),
            examples.Count == 0 ? default : examples.Max(e => e.Example.DecidedAt));
    }
}
