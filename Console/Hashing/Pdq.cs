using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
    // The same basis transposed (64×16), so the second product reads a row of it per k.
    private static readonly float[] DctColumns = Transpose(DctRows, Frequencies, Downsampled);

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
        if (rgba.Length < 4 * pixels) throw new ArgumentException("The buffer is smaller than the image.", nameof(rgba));
        var luma = ArrayPool<float>.Shared.Rent(pixels);
        try
        {
            ref var source = ref MemoryMarshal.GetReference(rgba);
            ref var target = ref MemoryMarshal.GetArrayDataReference(luma);
            for (var p = 0; p < pixels; p++)
            {
                ref var pixel = ref Unsafe.Add(ref source, 4 * p);
                Unsafe.Add(ref target, p) = 0.299f * pixel + 0.587f * Unsafe.Add(ref pixel, 1) + 0.114f * Unsafe.Add(ref pixel, 2);
            }
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
                BoxRow(image, scratch, row * width, width, rowWindow);
            BoxColumns(scratch, image, height, width, columnWindow);
        }
    }

    /// <summary>
    /// A moving average over <paramref name="window"/> samples of one row (⌈window/2⌉ − 1 ahead, the rest behind),
    /// shrinking at the ends to what lies inside the row: one pass with a running sum. It is the blur's definition
    /// (PdqTests.Box, for any row or column) with the stretch where the window lies wholly inside the row (all but a
    /// few samples at each end) run without the bounds arithmetic; the same additions in the same order, so the same
    /// result bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void BoxRow(float[] input, float[] output, int start, int length, int window)
    {
        if ((uint)start > (uint)input.Length || (uint)length > (uint)(input.Length - start) || (uint)(start + length) > (uint)output.Length)
            throw new ArgumentOutOfRangeException(nameof(length));
        var ahead = (window + 2) / 2 - 1;
        var behind = window - 1 - ahead;
        ref var source = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(input), start);
        ref var target = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(output), start);
        var sum = 0f;
        int low = 0, high = -1; // the window is [low, high]
        // From bodyStart to bodyEnd the window lies wholly inside the row: each step adds the sample entering ahead and
        // drops the one leaving behind, with no clamping; the steps before and after shrink the window at the ends.
        var bodyStart = behind + 1;
        var bodyEnd = length - ahead;
        for (var k = 0; k < length; k++)
        {
            if (k >= bodyStart && k < bodyEnd)
            {
                sum += Unsafe.Add(ref source, high = k + ahead);
                sum -= Unsafe.Add(ref source, low++);
                Unsafe.Add(ref target, k) = sum / window;
                continue;
            }
            for (var wantHigh = Math.Min(length - 1, k + ahead); high < wantHigh;) sum += Unsafe.Add(ref source, ++high);
            for (var wantLow = Math.Max(0, k - behind); low < wantLow; low++) sum -= Unsafe.Add(ref source, low);
            Unsafe.Add(ref target, k) = sum / (high - low + 1);
        }
    }

    /// <summary>
    /// The same moving average down every column at once, a row at a time: the running sums are added and subtracted
    /// in the order a single column's pass takes them, so the result is exactly the per-column one; walking rows
    /// instead of strided columns keeps memory access sequential and lets the sums run as vectors.
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

    /// <summary>
    /// Sum of significant steps between neighbours on the 64×64 image, scaled to 0–100. Each step is truncated to an
    /// integer before summing, lane by lane as the scalar definition does (same float operations, same truncation), so
    /// the vectors give exactly its result.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int Quality(float[] small)
    {
        if (small.Length < Downsampled * Downsampled) throw new ArgumentException("The buffer is smaller than 64×64.", nameof(small));
        var lanes = Vector<float>.Count;
        var sums = Vector<int>.Zero;
        var sum = 0;
        // Vertical steps: rows i and i + 1 are whole vectors apart.
        for (var at = 0; at + Downsampled + lanes <= Downsampled * Downsampled; at += lanes)
            sums += Step(new Vector<float>(small, at), new Vector<float>(small, at + Downsampled));
        // Horizontal steps: each row's first 63 neighbours, as far as whole vectors reach, then one by one.
        var vectorEnd = (Downsampled - 1) / lanes * lanes;
        for (var i = 0; i < Downsampled; i++)
        {
            var row = i * Downsampled;
            for (var j = 0; j < vectorEnd; j += lanes)
                sums += Step(new Vector<float>(small, row + j), new Vector<float>(small, row + j + 1));
            for (var j = vectorEnd; j < Downsampled - 1; j++)
                sum += Math.Abs((int)((small[row + j] - small[row + j + 1]) * 100 / 255));
        }
        return Math.Min((sum + Vector.Sum(sums)) / 90, 100);

        static Vector<int> Step(Vector<float> a, Vector<float> b) =>
            Vector.Abs(Vector.ConvertToInt32((a - b) * new Vector<float>(100f) / new Vector<float>(255f)));
    }

    /// <summary>
    /// B = D·A·Dᵀ with D the 16×64 DCT rows: the 16×16 coefficients, row-major. Each coefficient is summed over k in
    /// ascending order with separate multiplies and adds, as the scalar definition is; the vectors only run several
    /// coefficients side by side.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float[] Dct16(float[] small)
    {
        var lanes = Vector<float>.Count;
        // partial[i, ·] = Σ_k D[i, k] · A[k, ·]
        var partial = new float[Frequencies * Downsampled];
        for (var i = 0; i < Frequencies; i++)
            for (var j = 0; j < Downsampled; j += lanes)
            {
                var sum = Vector<float>.Zero;
                for (var k = 0; k < Downsampled; k++)
                    sum += new Vector<float>(DctRows[i * Downsampled + k]) * new Vector<float>(small, k * Downsampled + j);
                sum.CopyTo(partial, i * Downsampled + j);
            }
        // result[i, ·] = Σ_k partial[i, k] · Dᵀ[k, ·]
        var result = new float[Frequencies * Frequencies];
        for (var i = 0; i < Frequencies; i++)
            for (var j = 0; j < Frequencies; j += lanes)
            {
                var sum = Vector<float>.Zero;
                for (var k = 0; k < Downsampled; k++)
                    sum += new Vector<float>(partial[i * Downsampled + k]) * new Vector<float>(DctColumns, k * Frequencies + j);
                sum.CopyTo(result, i * Frequencies + j);
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

    private static float[] Transpose(float[] matrix, int rows, int columns)
    {
        var transposed = new float[matrix.Length];
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < columns; j++)
                transposed[j * rows + i] = matrix[i * columns + j];
        return transposed;
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
