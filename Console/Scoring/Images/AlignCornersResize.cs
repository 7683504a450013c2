// Hand-written: TensorFlow's resizeBilinear with alignCorners, on scaled floats, as TF.js models prepare their input; no .NET library computes it, and Skia's 8-bit bilinear differs by up to half a grey level.
namespace ModerationConsole.Scoring.Images;

/// <summary>
/// TF.js's <c>tf.image.resizeBilinear(x, [height, width], alignCorners = true)</c> (the CPU backend's arithmetic: source
/// position r · (in − 1) / (out − 1), the four neighbours interpolated along the row, then the column, in double, each
/// result stored as float32), applied to an RGBA image whose channels are first mapped to floats by a lookup table.
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
        var rowRatio = Ratio(sourceHeight, height);
        var columnRatio = Ratio(sourceWidth, width);
        Span<int> left = width <= 4096 ? stackalloc int[width] : new int[width];
        Span<int> right = width <= 4096 ? stackalloc int[width] : new int[width];
        Span<double> columnFraction = width <= 4096 ? stackalloc double[width] : new double[width];
        for (var x = 0; x < width; x++)
        {
            var source = columnRatio * x;
            left[x] = Math.Max(0, (int)Math.Floor(source));
            right[x] = Math.Min(sourceWidth - 1, (int)Math.Ceiling(source));
            columnFraction[x] = source - left[x];
        }
        var plane = width * height;
        for (var y = 0; y < height; y++)
        {
            var source = rowRatio * y;
            var top = Math.Max(0, (int)Math.Floor(source));
            var bottom = Math.Min(sourceHeight - 1, (int)Math.Ceiling(source));
            var rowFraction = source - top;
            var topRow = rgba.Slice(top * rowBytes, sourceWidth * 4);
            var bottomRow = rgba.Slice(bottom * rowBytes, sourceWidth * 4);
            for (var x = 0; x < width; x++)
                for (var c = 0; c < 3; c++)
                {
                    double topLeft = lookup[c * 256 + topRow[4 * left[x] + c]], topRight = lookup[c * 256 + topRow[4 * right[x] + c]];
                    double bottomLeft = lookup[c * 256 + bottomRow[4 * left[x] + c]], bottomRight = lookup[c * 256 + bottomRow[4 * right[x] + c]];
                    var upper = topLeft + (topRight - topLeft) * columnFraction[x];
                    var lower = bottomLeft + (bottomRight - bottomLeft) * columnFraction[x];
                    var value = (float)(upper + (lower - upper) * rowFraction);
                    destination[nchw ? c * plane + y * width + x : (y * width + x) * 3 + c] = value;
                }
        }
    }

    /// <summary>(in − 1) / (out − 1) when the output has more than one pixel on that side, else in / out.</summary>
    private static double Ratio(int input, int output) => output > 1 ? (double)(input - 1) / (output - 1) : (double)input / output;
}
