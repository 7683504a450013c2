using SkiaSharp;

namespace ModerationConsole.Imaging;

/// <summary>Puts <see cref="ManagedPng"/>'s pixels in a Skia bitmap, so resizing and the rest stay with Skia.</summary>
public static class PngBitmap
{
    /// <summary>
    /// The full-size, unpremultiplied RGBA8888 bitmap of a PNG the managed decoder vouches for; null when it does not,
    /// and the caller decodes with Skia (which also judges whether the bytes are corrupt).
    /// </summary>
    public static SKBitmap? TryDecode(byte[] encoded)
    {
        if (!ManagedPng.TryReadLayout(encoded, out var layout)) return null;
        var bitmap = new SKBitmap(new SKImageInfo(layout.Width, layout.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        if (bitmap.GetPixels() != IntPtr.Zero && ManagedPng.TryDecode(encoded, layout, bitmap.GetPixelSpan(), bitmap.RowBytes)) return bitmap;
        bitmap.Dispose();
        return null;
    }
}
