using System.Numerics;
using ModerationConsole.Imaging;
using SkiaSharp;

namespace ModerationConsole.Hashing;

/// <summary>
/// Decodes an image and hashes it with PDQ. Images larger than <see cref="WorkingSide"/> on a side are brought down to
/// it first, as the reference tools do: PDQ keeps only a 64×64 blur of the image, and decoding JPEG at a reduced scale
/// costs a fraction of a full decode. Decoding fails on truncated or corrupt data, which ingest then refuses. The PNGs
/// generators write are decoded by <see cref="ManagedPng"/>, everything else by Skia.
/// </summary>
public static class ImageFingerprint
{
    public const int WorkingSide = 512;

    /// <summary>The hash, or null when the bytes do not decode completely.</summary>
    public static PdqResult? TryHash(byte[] encoded)
    {
        using var decoded = RgbaBitmap.TryDecodePng(encoded) ?? DecodeWithSkia(encoded);
        if (decoded is null) return null;
        var size = new SKSizeI(decoded.Width, decoded.Height);
        if (size.Width <= WorkingSide && size.Height <= WorkingSide)
            return Pdq.FromRgba(decoded.GetPixelSpan(), size.Height, size.Width);

        var (width, height) = WorkingSize(size.Width, size.Height);
        var target = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var resized = decoded.Resize(target, Sampling(size, target));
        return resized is null ? null : Pdq.FromRgba(resized.GetPixelSpan(), target.Height, target.Width);
    }

    /// <summary>The size an image larger than <see cref="WorkingSide"/> on a side is brought down to: its longer side becomes it.</summary>
    public static (int Width, int Height) WorkingSize(int width, int height)
    {
        var factor = (double)WorkingSide / Math.Max(width, height);
        return (Math.Max(1, (int)Math.Round(width * factor)), Math.Max(1, (int)Math.Round(height * factor)));
    }

    /// <summary>
    /// Trilinear (linear within and between mipmap levels) — except where the image is exactly a power of two times
    /// the target on both sides (1024² → 512², 2048×1024 → 512×256), as generators' outputs usually are: there the
    /// level-of-detail is a whole number, blending with the next level has weight zero, and sampling the one level
    /// gives the same pixels (and so the same hash) about ten times faster in Skia.
    /// </summary>
    private static SKSamplingOptions Sampling(SKSizeI size, SKImageInfo target)
    {
        var factor = size.Width / target.Width;
        var exactPowerOfTwo = factor > 1 && BitOperations.IsPow2(factor) &&
                              size.Width == target.Width * factor && size.Height == target.Height * factor;
        return new SKSamplingOptions(SKFilterMode.Linear, exactPowerOfTwo ? SKMipmapMode.Nearest : SKMipmapMode.Linear);
    }

    private static SKBitmap? DecodeWithSkia(byte[] encoded)
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
        var decoded = new SKBitmap(info);
        if (codec.GetPixels(info, decoded.GetPixels()) == SKCodecResult.Success) return decoded;
        decoded.Dispose();
        return null;
    }
}
