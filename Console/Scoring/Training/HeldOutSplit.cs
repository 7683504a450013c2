namespace ModerationConsole.Scoring.Training;

/// <summary>A moderator's decision as a labelled prompt, with whose prompt it was and when it was decided.</summary>
public sealed record DecidedPrompt(PromptExample Example, string User, DateTimeOffset DecidedAt);

/// <summary>
/// Splits moderators' decisions so that the test says how the model does on traffic it has not seen: the latest share
/// by time is held out, and no user of the held-out part is trained on, so one user's near-identical prompts cannot
/// sit on both sides. A random split of rows would let them, and would report the model's memory, not its skill.
/// </summary>
public static class HeldOutSplit
{
    public const double HeldOutShare = 0.2;

    /// <summary>Below this many held-out positives a category's precision and recall are shown as too few to trust.</summary>
    public const int TrustworthyPositives = 30;

    public static (IReadOnlyList<PromptExample> Training, IReadOnlyList<PromptExample> HeldOut) ByUserAndTime(IReadOnlyList<DecidedPrompt> decided)
    {
        var ordered = decided.OrderBy(d => d.DecidedAt).ToList();
        var cut = ordered.Count - (int)Math.Ceiling(ordered.Count * HeldOutShare);
        var heldOut = ordered.Skip(cut).ToList();
        var heldOutUsers = heldOut.Select(d => d.User).ToHashSet(StringComparer.Ordinal);
        // Earlier decisions of held-out users are in neither part: training on them would leak, testing on them would
        // no longer be a test of the future.
        var training = ordered.Take(cut).Where(d => !heldOutUsers.Contains(d.User)).ToList();
        return (training.Select(d => d.Example).ToList(), heldOut.Select(d => d.Example).ToList());
    }
}
