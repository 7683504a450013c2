// Hand-written: no maintained .NET PDQ exists; bit-for-bit equal to Meta's C++ kernels on the same pixels (docs/architecture.md). 412 lines: one algorithm, its kernels kept together.
using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ModerationConsole.Imaging;

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
            var scratch = PixelBuffers.Rent<float>(height * width);
            try
            {
                Blur(luma, scratch, height, width, WindowFor(width), WindowFor(height));
                Decimate(luma, height, width, small);
            }
            finally
            {
                PixelBuffers.Return(scratch);
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
        var luma = PixelBuffers.Rent<float>(pixels);
        try
        {
            Luma(rgba[..(4 * pixels)], luma);
            return FromLuma(luma, height, width);
        }
        finally
        {
            PixelBuffers.Return(luma);
        }
    }

    /// <summary>
    /// Each RGBA pixel's luminance, 0.299 R + 0.587 G + 0.114 B, into <paramref name="luma"/>. As vectors, a lane holding
    /// a whole pixel (red in its low byte), with the same conversions, products and sums in the same order as the scalar
    /// loop that takes the rest, so the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Luma(ReadOnlySpan<byte> rgba, float[] luma)
    {
        var pixels = rgba.Length / 4;
        if (luma.Length < pixels) throw new ArgumentException("The buffer is smaller than the image.", nameof(luma));
        var p = 0;
        if (Vector.IsHardwareAccelerated && BitConverter.IsLittleEndian)
        {
            var words = MemoryMarshal.Cast<byte, uint>(rgba[..(4 * pixels)]);
            var channel = new Vector<uint>(0xFF);
            for (; p <= pixels - Vector<uint>.Count; p += Vector<uint>.Count)
            {
                var pixel = new Vector<uint>(words[p..]);
                var red = Vector.ConvertToSingle(Vector.AsVectorInt32(pixel & channel));
                var green = Vector.ConvertToSingle(Vector.AsVectorInt32(Vector.ShiftRightLogical(pixel, 8) & channel));
                var blue = Vector.ConvertToSingle(Vector.AsVectorInt32(Vector.ShiftRightLogical(pixel, 16) & channel));
                (0.299f * red + 0.587f * green + 0.114f * blue).CopyTo(luma, p);
            }
        }
        ref var source = ref MemoryMarshal.GetReference(rgba);
        ref var target = ref MemoryMarshal.GetArrayDataReference(luma);
        for (; p < pixels; p++)
        {
            ref var pixel = ref Unsafe.Add(ref source, 4 * p);
            Unsafe.Add(ref target, p) = 0.299f * pixel + 0.587f * Unsafe.Add(ref pixel, 1) + 0.114f * Unsafe.Add(ref pixel, 2);
        }
    }

    /// <summary>Half of a 1/64 block per round, rounded up: two rounds of box filters make a tent over the block.</summary>
    internal static int WindowFor(int side) => (side + 2 * Downsampled - 1) / (2 * Downsampled);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blur(float[] image, float[] scratch, int height, int width, int rowWindow, int columnWindow)
    {
        for (var round = 0; round < JaroszRounds; round++)
        {
            BoxRows(image, scratch, height, width, rowWindow);
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
        CheckRows(input, output, start, 1, length);
        var row = new RowWindow(length, window);
        ref var source = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(input), start);
        ref var target = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(output), start);
        var sum = 0f;
        row.EdgeSteps(ref source, ref target, 0, row.BodyStart, ref sum);
        // A local of its own: one whose address was taken (ref sum) lives in memory, and every step would wait on a
        // store and a load as well as on the addition.
        var running = sum;
        for (var k = row.BodyStart; k < row.BodyEnd; k++)
        {
            running += Unsafe.Add(ref source, k + row.Ahead);
            running -= Unsafe.Add(ref source, k - row.Behind - 1);
            Unsafe.Add(ref target, k) = running / window;
        }
        sum = running;
        row.EdgeSteps(ref source, ref target, row.BodyEnd, length, ref sum);
    }

    /// <summary>
    /// <see cref="BoxRow"/> over every row of a <paramref name="height"/> × <paramref name="width"/> image, four rows
    /// at a time through the stretch where the window lies inside the row. One row's running sum waits on its previous
    /// step, so a row at a time the processor mostly waits; four independent sums keep it busy. Each sum sees the same
    /// additions in the same order as in BoxRow, so the result is the same bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void BoxRows(float[] input, float[] output, int height, int width, int window)
    {
        CheckRows(input, output, 0, height, width);
        var row = new RowWindow(width, window);
        var r = 0;
        Span<float> sums = stackalloc float[4];
        for (; r + 4 <= height; r += 4)
        {
            ref var source = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(input), r * width);
            ref var target = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(output), r * width);
            for (var j = 0; j < 4; j++)
            {
                sums[j] = 0f;
                row.EdgeSteps(ref Unsafe.Add(ref source, j * width), ref Unsafe.Add(ref target, j * width), 0, row.BodyStart, ref sums[j]);
            }
            // Locals of their own, kept in registers (see BoxRow).
            var (sum0, sum1, sum2, sum3) = (sums[0], sums[1], sums[2], sums[3]);
            ref var source1 = ref Unsafe.Add(ref source, width);
            ref var source2 = ref Unsafe.Add(ref source, 2 * width);
            ref var source3 = ref Unsafe.Add(ref source, 3 * width);
            ref var target1 = ref Unsafe.Add(ref target, width);
            ref var target2 = ref Unsafe.Add(ref target, 2 * width);
            ref var target3 = ref Unsafe.Add(ref target, 3 * width);
            for (var k = row.BodyStart; k < row.BodyEnd; k++)
            {
                int entering = k + row.Ahead, leaving = k - row.Behind - 1;
                sum0 += Unsafe.Add(ref source, entering);
                sum1 += Unsafe.Add(ref source1, entering);
                sum2 += Unsafe.Add(ref source2, entering);
                sum3 += Unsafe.Add(ref source3, entering);
                sum0 -= Unsafe.Add(ref source, leaving);
                sum1 -= Unsafe.Add(ref source1, leaving);
                sum2 -= Unsafe.Add(ref source2, leaving);
                sum3 -= Unsafe.Add(ref source3, leaving);
                Unsafe.Add(ref target, k) = sum0 / window;
                Unsafe.Add(ref target1, k) = sum1 / window;
                Unsafe.Add(ref target2, k) = sum2 / window;
                Unsafe.Add(ref target3, k) = sum3 / window;
            }
            (sums[0], sums[1], sums[2], sums[3]) = (sum0, sum1, sum2, sum3);
            for (var j = 0; j < 4; j++)
                row.EdgeSteps(ref Unsafe.Add(ref source, j * width), ref Unsafe.Add(ref target, j * width), row.BodyEnd, width, ref sums[j]);
        }
        for (; r < height; r++) BoxRow(input, output, r * width, width, window);
    }

    private static void CheckRows(float[] input, float[] output, int start, int rows, int length)
    {
        var end = start + (long)rows * length;
        if (start < 0 || rows < 0 || length < 0 || end > input.Length || end > output.Length)
            throw new ArgumentOutOfRangeException(nameof(length));
    }

    /// <summary>
    /// Where a row's moving average lies: <see cref="Ahead"/> samples ahead and <see cref="Behind"/> behind, and the
    /// steps from <see cref="BodyStart"/> to <see cref="BodyEnd"/> whose window lies wholly inside the row (none in a
    /// row shorter than the window).
    /// </summary>
    private readonly struct RowWindow
    {
        public readonly int Length, Ahead, Behind, BodyStart, BodyEnd;

        public RowWindow(int length, int window)
        {
            Length = length;
            Ahead = (window + 2) / 2 - 1;
            Behind = window - 1 - Ahead;
            BodyStart = Math.Min(Behind + 1, length);
            BodyEnd = Math.Max(length - Ahead, BodyStart);
        }

        /// <summary>
        /// Steps <paramref name="from"/> to <paramref name="to"/> with the window clamped to the row; <paramref name="sum"/>
        /// is the sum over the window the step before left (none before step 0), which is worked out from where it lies.
        /// </summary>
        public void EdgeSteps(ref float source, ref float target, int from, int to, ref float sum)
        {
            // The window is [low, high]: after step k it is [k − Behind, k + Ahead] clamped to the row.
            var (low, high) = from == 0 ? (0, -1) : (Math.Max(0, from - 1 - Behind), Math.Min(Length - 1, from - 1 + Ahead));
            for (var k = from; k < to; k++)
            {
                for (var wantHigh = Math.Min(Length - 1, k + Ahead); high < wantHigh;) sum += Unsafe.Add(ref source, ++high);
                for (var wantLow = Math.Max(0, k - Behind); low < wantLow; low++) sum -= Unsafe.Add(ref source, low);
                Unsafe.Add(ref target, k) = sum / (high - low + 1);
            }
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
