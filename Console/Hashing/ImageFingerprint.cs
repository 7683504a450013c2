using ModerationConsole.Imaging;

namespace ModerationConsole.Hashing;

/// <summary>
/// Decodes an image and hashes it with PDQ at its full size, as PDQ is defined and as Meta's published reference
/// hashes were made, so hashes match partners' lists (docs/architecture.md gives the distances measured against
/// Meta's). EXIF orientation is not applied, as in Meta's tools: the hash is of the pixels as stored. Decoding fails
/// on truncated or corrupt data, which ingest then refuses. The PNGs generators write are decoded by
/// <see cref="ManagedPng"/>, everything else by Skia.
/// </summary>
public static class ImageFingerprint
{
    /// <summary>The hash, or null when the bytes do not decode completely.</summary>
    public static PdqResult? TryHash(byte[] encoded)
    {
        using var share = DecodeBudget.Acquire(encoded);
        return Hash(encoded);
    }

    /// <summary><see cref="TryHash"/>, waiting for its share of the decode budget without holding a thread.</summary>
    public static async Task<PdqResult?> TryHashAsync(byte[] encoded, CancellationToken ct = default)
    {
        using var share = await DecodeBudget.AcquireAsync(encoded, ct);
        return Hash(encoded);
    }

    private static PdqResult? Hash(byte[] encoded)
    {
        using var decoded = RgbaBitmap.Decode(encoded);
        return decoded is null ? null : Pdq.FromRgba(decoded.GetPixelSpan(), decoded.Height, decoded.Width);
    }
}
