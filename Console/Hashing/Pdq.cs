using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace ModerationConsole.Hashing;

/// <summary>A PDQ hash and its quality (0–100): how much structure the image has. Flat images hash badly.</summary>
public readonly record struct PdqResult(PdqHash Hash, int Quality);

/// <summary>
/// Meta's PDQ perceptual hash, implemented from the published algorithm (pdqhash-2017-10-09): luminance; a tent
/// filter made of two rounds of 1-D box filters along rows and columns (Jarosz) with windows of 1/128 of each side;
/// decimation to 64×64 at pixel centres; the 16×16 lowest non-constant frequencies of a 2-D DCT; one bit per
/// coefficient, set when it is above the median. Thread-safe: all state is per call.
/// </summary>
/// <remarks>
/// The kernels are compiled fully optimised at once: ingest runs them hundreds of times a second from the first item,
/// and under tiered compilation they stayed in their slower instrumented drafts for long stretches of a busy server.
/// </remarks>
public static class Pdq
{
    private const int Downsampled = 64;
    private const int Frequencies = 16;
    private const int JaroszRounds = 2;
    public const int MinimumSide = 5;

    // Rows 1–16 of the 64-point DCT-II basis (row 0, the mean, carries no structure and is left out).
    private static readonly float[] DctRows = BuildDct();

    /// <summary>Hashes a luminance image (row-major, values 0–255). The buffer is used as scratch and overwritten.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static PdqResult FromLuma(float[] luma, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(luma);
        if (luma.Length < height * width) throw new ArgumentException("The buffer is smaller than the image.", nameof(luma));
        if (height < MinimumSide || width < MinimumSide) return new PdqResult(default, 0);

        var small = new float[Downsampled * Downsampled];
        if (height == Downsampled && width == Downsampled)
        {
            Array.Copy(luma, small, small.Length);
        }
        else
        {
            // Pooled: a 512×512 image needs a megabyte of scratch, which would otherwise land on the large-object heap per image.
            var scratch = ArrayPool<float>.Shared.Rent(height * width);
            try
            {
                Blur(luma, scratch, height, width, WindowFor(width), WindowFor(height));
                Decimate(luma, height, width, small);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(scratch);
            }
        }

        var quality = Quality(small);
        var coefficients = Dct16(small);
        return new PdqResult(ToHash(coefficients), quality);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static PdqResult FromRgba(ReadOnlySpan<byte> rgba, int height, int width)
    {
        var pixels = height * width;
        var luma = ArrayPool<float>.Shared.Rent(pixels);
        try
        {
            for (int p = 0, q = 0; p < pixels; p++, q += 4)
                luma[p] = 0.299f * rgba[q] + 0.587f * rgba[q + 1] + 0.114f * rgba[q + 2];
            return FromLuma(luma, height, width);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(luma);
        }
    }

    /// <summary>Half of a 1/64 block per round, rounded up: two rounds of box filters make a tent over the block.</summary>
    internal static int WindowFor(int side) => (side + 2 * Downsampled - 1) / (2 * Downsampled);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blur(float[] image, float[] scratch, int height, int width, int rowWindow, int columnWindow)
    {
        for (var round = 0; round < JaroszRounds; round++)
        {
            for (var row = 0; row < height; row++)
                Box(image, scratch, row * width, 1, width, rowWindow);
            BoxColumns(scratch, image, height, width, columnWindow);
        }
    }

    /// <summary>
    /// A moving average over <paramref name="window"/> samples of one row or column (⌈window/2⌉ − 1 ahead, the rest
    /// behind), shrinking at the ends to what lies inside the image; one pass with a running sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Box(float[] input, float[] output, int start, int stride, int length, int window)
    {
        var ahead = (window + 2) / 2 - 1;
        var behind = window - 1 - ahead;
        var sum = 0f;
        int low = 0, high = -1; // the window is [low, high]
        for (var k = 0; k < length; k++)
        {
            for (var wantHigh = Math.Min(length - 1, k + ahead); high < wantHigh;) sum += input[start + ++high * stride];
            for (var wantLow = Math.Max(0, k - behind); low < wantLow; low++) sum -= input[start + low * stride];
            output[start + k * stride] = sum / (high - low + 1);
        }
    }

    /// <summary>
    /// <see cref="Box"/> down every column at once, a row at a time: the same running sums, added and subtracted in the
    /// same order, so the result is exactly the per-column one; walking rows instead of strided columns keeps memory
    /// access sequential and lets the sums run as vectors.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void BoxColumns(float[] input, float[] output, int height, int width, int window)
    {
        var ahead = (window + 2) / 2 - 1;
        var behind = window - 1 - ahead;
        var sums = ArrayPool<float>.Shared.Rent(width);
        try
        {
            Array.Clear(sums, 0, width);
            int low = 0, high = -1; // the window is rows [low, high]
            for (var k = 0; k < height; k++)
            {
                for (var wantHigh = Math.Min(height - 1, k + ahead); high < wantHigh;) AddRow(sums, input, ++high * width, width, 1f);
                for (var wantLow = Math.Max(0, k - behind); low < wantLow; low++) AddRow(sums, input, low * width, width, -1f);
                DivideRow(sums, output, k * width, width, high - low + 1);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(sums);
        }
    }

    /// <summary>sums += sign × input[start ..]; sign is ±1, so each lane is exactly one addition or subtraction.</summary>
    private static void AddRow(float[] sums, float[] input, int start, int width, float sign)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var signs = new Vector<float>(sign);
            for (; i <= width - Vector<float>.Count; i += Vector<float>.Count)
                (new Vector<float>(sums, i) + signs * new Vector<float>(input, start + i)).CopyTo(sums, i);
        }
        for (; i < width; i++) sums[i] += sign * input[start + i];
    }

    private static void DivideRow(float[] sums, float[] output, int start, int width, int count)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var divisor = new Vector<float>(count);
            for (; i <= width - Vector<float>.Count; i += Vector<float>.Count)
                (new Vector<float>(sums, i) / divisor).CopyTo(output, start + i);
        }
        for (; i < width; i++) output[start + i] = sums[i] / count;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Decimate(float[] image, int height, int width, float[] output)
    {
        for (var i = 0; i < Downsampled; i++)
        {
            var row = (int)((i + 0.5) * height / Downsampled);
            for (var j = 0; j < Downsampled; j++)
            {
                var column = (int)((j + 0.5) * width / Downsampled);
                output[i * Downsampled + j] = image[row * width + column];
            }
        }
    }

    /// <summary>Sum of significant steps between neighbours on the 64×64 image, scaled to 0–100.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Quality(float[] small)
    {
        var sum = 0;
        for (var i = 0; i < Downsampled - 1; i++)
            for (var j = 0; j < Downsampled; j++)
                sum += Math.Abs((int)((small[i * Downsampled + j] - small[(i + 1) * Downsampled + j]) * 100 / 255));
        for (var i = 0; i < Downsampled; i++)
            for (var j = 0; j < Downsampled - 1; j++)
                sum += Math.Abs((int)((small[i * Downsampled + j] - small[i * Downsampled + j + 1]) * 100 / 255));
        return Math.Min(sum / 90, 100);
    }

    /// <summary>B = D·A·Dᵀ with D the 16×64 DCT rows: the 16×16 coefficients, row-major.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float[] Dct16(float[] small)
    {
        var partial = new float[Frequencies * Downsampled];
        for (var i = 0; i < Frequencies; i++)
            for (var j = 0; j < Downsampled; j++)
            {
                var sum = 0f;
                for (var k = 0; k < Downsampled; k++) sum += DctRows[i * Downsampled + k] * small[k * Downsampled + j];
                partial[i * Downsampled + j] = sum;
            }
        var result = new float[Frequencies * Frequencies];
        for (var i = 0; i < Frequencies; i++)
            for (var j = 0; j < Frequencies; j++)
            {
                var sum = 0f;
                for (var k = 0; k < Downsampled; k++) sum += partial[i * Downsampled + k] * DctRows[j * Downsampled + k];
                result[i * Frequencies + j] = sum;
            }
        return result;
    }

    /// <summary>Bit i·16+j is set when coefficient (i, j) is above the median (the 128th smallest of the 256).</summary>
    private static PdqHash ToHash(float[] coefficients)
    {
        var sorted = (float[])coefficients.Clone();
        Array.Sort(sorted);
        var median = sorted[coefficients.Length / 2 - 1];
        Span<bool> bits = stackalloc bool[PdqHash.BitCount];
        for (var k = 0; k < coefficients.Length; k++) bits[k] = coefficients[k] > median;
        return PdqHash.FromBits(bits);
    }

    private static float[] BuildDct()
    {
        var rows = new float[Frequencies * Downsampled];
        var scale = Math.Sqrt(2.0 / Downsampled);
        for (var i = 0; i < Frequencies; i++)
            for (var j = 0; j < Downsampled; j++)
                rows[i * Downsampled + j] = (float)(scale * Math.Cos(Math.PI / 2 / Downsampled * (i + 1) * (2 * j + 1)));
        return rows;
    }
}
