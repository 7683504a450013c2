// Hand-written: TensorFlow's resizeBilinear with alignCorners, on scaled floats, as TF.js models prepare their input; no .NET library computes it, and Skia's 8-bit bilinear differs by up to half a grey level.
using System.Numerics;
using System.Runtime.InteropServices;

namespace ModerationConsole.Scoring.Images;

/// <summary>
/// TF.js's <c>tf.image.resizeBilinear(x, [height, width], alignCorners = true)</c>, the CPU backend's arithmetic: source
/// position r · (in − 1) / (out − 1); the two neighbouring pixels of a row interpolated by the column's fraction, then
/// the two rows by the row's fraction. Applied to an RGBA image whose channels are first mapped to floats by a lookup
/// table. Each source row is interpolated along its columns once and kept while output rows need it, and the rows are
/// blended as vectors: the same formula, computed in float (TF.js computes it in double and stores float32; the
/// difference is in the last bits).
/// </summary>
public static class AlignCornersResize
{
    /// <summary>
    /// Writes the resized image as floats, NHWC (<paramref name="nchw"/> false) or NCHW, into <paramref name="destination"/>.
    /// <paramref name="lookup"/> gives each channel's float for each byte value (3 × 256).
    /// </summary>
    public static void Write(ReadOnlySpan<byte> rgba, int rowBytes, int sourceWidth, int sourceHeight,
        int width, int height, float[] lookup, bool nchw, Span<float> destination)
    {
        var columnRatio = Ratio(sourceWidth, width);
        var left = new int[width];
        var right = new int[width];
        var columnFraction = new float[width];
        for (var x = 0; x < width; x++)
        {
            var source = columnRatio * x;
            left[x] = Math.Max(0, (int)Math.Floor(source));
            right[x] = Math.Min(sourceWidth - 1, (int)Math.Ceiling(source));
            columnFraction[x] = (float)(source - left[x]);
        }

        var line = width * 3;
        var upper = new Row(line);
        var lower = new Row(line);
        var blended = nchw ? new float[line] : null;
        var rowRatio = Ratio(sourceHeight, height);
        for (var y = 0; y < height; y++)
        {
            var source = rowRatio * y;
            var top = Math.Max(0, (int)Math.Floor(source));
            var bottom = Math.Min(sourceHeight - 1, (int)Math.Ceiling(source));
            var fraction = (float)(source - top);
            // Rows only move down: the lower row of one output row is often the upper row of the next.
            if (upper.Source != top)
            {
                if (lower.Source == top) (upper, lower) = (lower, upper);
                else upper.Fill(rgba.Slice(top * rowBytes, sourceWidth * 4), top, left, right, columnFraction, lookup);
            }
            if (lower.Source != bottom) lower.Fill(rgba.Slice(bottom * rowBytes, sourceWidth * 4), bottom, left, right, columnFraction, lookup);

            var target = nchw ? blended! : destination.Slice(y * line, line);
            Blend(upper.Values, lower.Values, fraction, target);
            if (nchw)
            {
                var plane = width * height;
                for (var x = 0; x < width; x++)
                    for (var c = 0; c < 3; c++)
                        destination[c * plane + y * width + x] = blended![3 * x + c];
            }
        }
    }

    /// <summary>top + (bottom − top) · fraction, element by element.</summary>
    private static void Blend(float[] top, float[] bottom, float fraction, Span<float> target)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var f = new Vector<float>(fraction);
            var tops = MemoryMarshal.Cast<float, Vector<float>>(top.AsSpan());
            var bottoms = MemoryMarshal.Cast<float, Vector<float>>(bottom.AsSpan());
            var targets = MemoryMarshal.Cast<float, Vector<float>>(target);
            for (var v = 0; v < tops.Length && v < targets.Length; v++) targets[v] = tops[v] + (bottoms[v] - tops[v]) * f;
            i = Math.Min(tops.Length, targets.Length) * Vector<float>.Count;
        }
        for (; i < target.Length; i++) target[i] = top[i] + (bottom[i] - top[i]) * fraction;
    }

    /// <summary>(in − 1) / (out − 1) when the output has more than one pixel on that side, else in / out.</summary>
    private static double Ratio(int input, int output) => output > 1 ? (double)(input - 1) / (output - 1) : (double)input / output;

    /// <summary>One source row interpolated along its columns to the output's width, RGB floats side by side.</summary>
    private sealed class Row(int length)
    {
        public int Source = -1;
        public readonly float[] Values = new float[length];

        public void Fill(ReadOnlySpan<byte> pixels, int source, int[] left, int[] right, float[] fraction, float[] lookup)
        {
            Source = source;
            for (var x = 0; x < left.Length; x++)
            {
                int l = 4 * left[x], r = 4 * right[x];
                var f = fraction[x];
                for (var c = 0; c < 3; c++)
                {
                    var a = lookup[c * 256 + pixels[l + c]];
                    var b = lookup[c * 256 + pixels[r + c]];
                    Values[3 * x + c] = a + (b - a) * f;
                }
            }
        }
    }
}
