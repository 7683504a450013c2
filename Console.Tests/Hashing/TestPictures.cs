using SkiaSharp;

namespace ModerationConsole.Tests.Hashing;

/// <summary>Pictures with structure (shapes, stripes, text-like blocks) drawn per seed, and the edits abusers make to dodge exact matching.</summary>
public static class TestPictures
{
    public static SKBitmap Draw(int seed, int width = 640, int height = 480)
    {
        var random = new Random(seed);
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(RandomColour(random));
        using var paint = new SKPaint { IsAntialias = true };
        for (var shape = 0; shape < 12; shape++)
        {
            paint.Color = RandomColour(random);
            var x = random.Next(width);
            var y = random.Next(height);
            var size = random.Next(width / 12, width / 3);
            switch (random.Next(3))
            {
                case 0: canvas.DrawCircle(x, y, size / 2f, paint); break;
                case 1: canvas.DrawRect(x - size / 2, y - size / 3, size, size * 2 / 3, paint); break;
                default:
                    for (var stripe = 0; stripe < 5; stripe++) canvas.DrawRect(x, y + stripe * size / 5, size, size / 10, paint);
                    break;
            }
        }
        return bitmap;
    }

    public static byte[] Png(SKBitmap bitmap) => Encode(bitmap, SKEncodedImageFormat.Png, 100);

    public static byte[] Jpeg(SKBitmap bitmap, int quality) => Encode(bitmap, SKEncodedImageFormat.Jpeg, quality);

    public static SKBitmap Resize(SKBitmap bitmap, double factor) =>
        bitmap.Resize(new SKImageInfo((int)(bitmap.Width * factor), (int)(bitmap.Height * factor), SKColorType.Rgba8888, SKAlphaType.Premul),
            new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear))!;

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

    private static SKColor RandomColour(Random random) => new((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
}
