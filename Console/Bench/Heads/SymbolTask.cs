using ModerationConsole.Simulate;
using SkiaSharp;

namespace ModerationConsole.Bench;

/// <summary>
/// A task a general image backbone can learn and nsfwjs' own classes say nothing about: busy pictures of random shapes,
/// half of them carrying a drawn symbol (a black ring crossed by a bar, of varying size and place), standing in for a
/// platform's house rule such as a hate symbol. Smaller symbols make it harder.
/// </summary>
public static class SymbolTask
{
    public const int Width = 320;
    public const int Height = 240;

    public static byte[] Png(int seed, bool withSymbol, int minRadius = 40, int maxRadius = 90)
    {
        using var picture = ShapePictures.Draw(seed, Width, Height);
        if (withSymbol)
        {
            var random = new Random(seed * 7919);
            using var canvas = new SKCanvas(picture);
            var radius = random.Next(minRadius, maxRadius);
            var x = random.Next(radius, Width - radius);
            var y = random.Next(radius, Height - radius);
            using var ink = new SKPaint { IsAntialias = true, Color = SKColors.Black, Style = SKPaintStyle.Stroke, StrokeWidth = radius / 3f };
            canvas.DrawCircle(x, y, radius, ink);
            canvas.DrawLine(x - radius, y + radius, x + radius, y - radius, ink);
        }
        using var image = SKImage.FromBitmap(picture);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
