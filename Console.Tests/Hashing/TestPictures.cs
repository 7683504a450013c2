using ModerationConsole.Simulate;
using SkiaSharp;

namespace ModerationConsole.Tests.Hashing;

/// <summary>Pictures with structure (shapes, stripes, text-like blocks) drawn per seed, and the edits abusers make to dodge exact matching.</summary>
public static class TestPictures
{
    public static SKBitmap Draw(int seed, int width = 640, int height = 480) => ShapePictures.Draw(seed, width, height);

    public static byte[] Png(SKBitmap bitmap) => Encode(bitmap, SKEncodedImageFormat.Png, 100);

    public static byte[] Jpeg(SKBitmap bitmap, int quality) => Encode(bitmap, SKEncodedImageFormat.Jpeg, quality);

    public static SKBitmap Resize(SKBitmap bitmap, double factor) =>
        bitmap.Resize(new SKImageInfo((int)(bitmap.Width * factor), (int)(bitmap.Height * factor), SKColorType.Rgba8888, SKAlphaType.Premul),
            new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear))!;

    /// <summary>The picture flipped left to right: the same content to an image model, a different picture to PDQ.</summary>
    public static SKBitmap Mirror(SKBitmap picture)
    {
        var mirrored = new SKBitmap(picture.Info);
        using var canvas = new SKCanvas(mirrored);
        canvas.Scale(-1, 1, picture.Width / 2f, 0);
        using var image = SKImage.FromBitmap(picture);
        canvas.DrawImage(image, 0, 0, new SKSamplingOptions(SKFilterMode.Nearest));
        return mirrored;
    }

    /// <summary>Cuts <paramref name="fraction"/> of each side away.</summary>
    public static SKBitmap Crop(SKBitmap bitmap, double fraction)
    {
        var dx = (int)(bitmap.Width * fraction);
        var dy = (int)(bitmap.Height * fraction);
        var cropped = new SKBitmap(new SKImageInfo(bitmap.Width - 2 * dx, bitmap.Height - 2 * dy, SKColorType.Rgba8888, SKAlphaType.Premul));
        bitmap.ExtractSubset(cropped, new SKRectI(dx, dy, bitmap.Width - dx, bitmap.Height - dy));
        var copy = cropped.Copy();
        cropped.Dispose();
        return copy;
    }

    private static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }

}
