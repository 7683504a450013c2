using SkiaSharp;

namespace ModerationConsole.Hashing;

/// <summary>
/// Decodes an image and hashes it with PDQ. Images larger than <see cref="WorkingSide"/> on a side are brought down to
/// it first, as the reference tools do: PDQ keeps only a 64×64 blur of the image, and decoding JPEG at a reduced scale
/// costs a fraction of a full decode. Decoding fails on truncated or corrupt data, which ingest then refuses.
/// </summary>
public static class ImageFingerprint
{
    public const int WorkingSide = 512;

    /// <summary>The hash, or null when the bytes do not decode completely.</summary>
    public static PdqResult? TryHash(byte[] encoded)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data);
        if (codec is null) return null;

        var full = codec.Info;
        if (full.Width <= 0 || full.Height <= 0) return null;
        // The smallest scale the codec decodes natively (JPEG: 1/8 steps) that keeps both sides at or above the working side.
        var scale = Math.Min(1f, (float)WorkingSide / Math.Min(full.Width, full.Height));
        var size = codec.GetScaledDimensions(scale);
        if (size.Width < Math.Min(WorkingSide, full.Width) || size.Height < Math.Min(WorkingSide, full.Height)) size = full.Size;

        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var decoded = new SKBitmap(info);
        var result = codec.GetPixels(info, decoded.GetPixels());
        if (result != SKCodecResult.Success) return null;

        if (size.Width <= WorkingSide && size.Height <= WorkingSide)
            return Pdq.FromRgba(decoded.GetPixelSpan(), size.Height, size.Width);

        var factor = (double)WorkingSide / Math.Max(size.Width, size.Height);
        var target = new SKImageInfo(Math.Max(1, (int)Math.Round(size.Width * factor)), Math.Max(1, (int)Math.Round(size.Height * factor)),
            SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var resized = decoded.Resize(target, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        return resized is null ? null : Pdq.FromRgba(resized.GetPixelSpan(), target.Height, target.Width);
    }
}
