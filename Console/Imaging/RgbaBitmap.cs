using SkiaSharp;

namespace ModerationConsole.Imaging;

/// <summary>
/// Encoded images to full-size, unpremultiplied RGBA8888 Skia bitmaps: <see cref="ManagedPng"/>'s pixels for the PNGs it
/// vouches for, Skia's decode for everything else, so resizing and the rest stay with Skia.
/// </summary>
public static class RgbaBitmap
{
    /// <summary>The bitmap, or null when the bytes do not decode completely.</summary>
    public static SKBitmap? Decode(byte[] encoded) => TryDecodePng(encoded) ?? DecodeWithSkia(encoded);

    /// <summary>
    /// The bitmap of a PNG the managed decoder vouches for; null when it does not, and the caller decodes with Skia
    /// (which also judges whether the bytes are corrupt).
    /// </summary>
    public static SKBitmap? TryDecodePng(byte[] encoded)
    {
        if (!ManagedPng.TryReadLayout(encoded, out var layout)) return null;
        var bitmap = new SKBitmap(new SKImageInfo(layout.Width, layout.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        if (bitmap.GetPixels() != IntPtr.Zero && ManagedPng.TryDecode(encoded, layout, bitmap.GetPixelSpan(), bitmap.RowBytes)) return bitmap;
        bitmap.Dispose();
        return null;
    }

    /// <summary>Skia's decode of any format it reads; null when the bytes do not decode completely (a truncated body).</summary>
    public static SKBitmap? DecodeWithSkia(byte[] encoded)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data);
        if (codec is null || codec.Info.Width <= 0 || codec.Info.Height <= 0) return null;
        var bitmap = new SKBitmap(new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        if (bitmap.GetPixels() != IntPtr.Zero && codec.GetPixels(bitmap.Info, bitmap.GetPixels()) == SKCodecResult.Success) return bitmap;
        bitmap.Dispose();
        return null;
    }
}
