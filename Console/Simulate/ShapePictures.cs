using SkiaSharp;

namespace ModerationConsole.Simulate;

/// <summary>Pictures with structure (shapes, stripes) drawn per seed: busy enough for perceptual hashes and image models.</summary>
public static class ShapePictures
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

    private static SKColor RandomColour(Random random) => new((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
}
