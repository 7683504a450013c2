namespace ModerationConsole.Heads;

/// <summary>Settings of the section <c>Heads</c>: when the console learns image heads from moderators' decisions.</summary>
public sealed class HeadsOptions
{
    public const string Section = "Heads";

    /// <summary>A category gets a head once moderators blocked this many items for it (and approved enough others).</summary>
    public int MinimumPositives { get; set; } = 200;

    /// <summary>Negatives needed as well: a head that has seen few approvals cannot tell what is fine.</summary>
    public int MinimumNegatives { get; set; } = 200;

    /// <summary>Train a new version by itself every <see cref="Every"/> (it is never activated by itself). Off: admins start it.</summary>
    public bool Scheduled { get; set; }

    public TimeSpan Every { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Embed past images by themselves every <see cref="EmbedPastImagesEvery"/>: items decided before scoring reached them
    /// (automatic decisions at ingest among them) then also appear among similar items' past decisions.
    /// </summary>
    public bool EmbedPastImages { get; set; } = true;

    public TimeSpan EmbedPastImagesEvery { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long the Classifiers page suggests a head stays in shadow mode before an admin activates it.</summary>
    public TimeSpan SuggestedShadow { get; set; } = TimeSpan.FromDays(7);
}
