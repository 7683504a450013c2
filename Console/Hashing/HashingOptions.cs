using System.ComponentModel.DataAnnotations;

namespace ModerationConsole.Hashing;

/// <summary>How close two PDQ hashes must be to count as the same picture, and which hashes are good enough to use.</summary>
public sealed class HashingOptions
{
    public const string Section = "Hashing";

    /// <summary>An incoming image this close (of 256 bits) to a banked hash is blocked. 31 is PDQ's authors' advice.</summary>
    [Range(0, 63)]
    public int BankMatchDistance { get; set; } = 31;

    /// <summary>Pending items this close to the one under review are offered as its near-duplicates.</summary>
    [Range(0, 63)]
    public int NearDuplicateDistance { get; set; } = 31;

    /// <summary>
    /// Hashes of lower PDQ quality (flat or nearly blank images) are neither banked nor matched: such images all hash
    /// alike, and matching them would block unrelated pictures.
    /// </summary>
    [Range(0, 100)]
    public int MinQuality { get; set; } = 50;
}
