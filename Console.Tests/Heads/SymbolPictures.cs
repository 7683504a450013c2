using SkiaSharp;
using ModerationConsole.Tests.Hashing;

namespace ModerationConsole.Tests.Heads;

/// <summary>
/// A task a general image backbone can learn and nsfwjs' own classes say nothing about: busy pictures of random shapes,
/// half of them carrying a drawn symbol (a black ring crossed by a bar, of varying size and place), standing in for a
/// platform's house rule such as a hate symbol.
/// </summary>
public static class SymbolPictures
{
    public static byte[] Png(int seed, bool withSymbol)
    {
        using var picture = TestPictures.Draw(seed, 320, 240);
        if (withSymbol)
        {
            var random = new Random(seed * 7919);
            using var canvas = new SKCanvas(picture);
            var radius = random.Next(40, 90);
            var x = random.Next(radius, 320 - radius);
            var y = random.Next(radius, 240 - radius);
            using var ink = new SKPaint { IsAntialias = true, Color = SKColors.Black, Style = SKPaintStyle.Stroke, StrokeWidth = radius / 3f };
            canvas.DrawCircle(x, y, radius, ink);
            canvas.DrawLine(x - radius, y + radius, x + radius, y - radius, ink);
        }
        return TestPictures.Png(picture);
    }
}
