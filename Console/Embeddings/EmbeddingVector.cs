using System.Collections;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace ModerationConsole.Embeddings;

/// <summary>
/// How an image's embedding is kept: L2-normalised (so a dot product is the cosine), stored as float16 (half the bytes,
/// and far more precision than a neighbour ranking or a linear head needs), with a 256-bit sign sketch for candidates.
/// </summary>
public static class EmbeddingVector
{
    public const int SketchBits = 256;
    /// <summary>Fixed: every stored sketch was made with these hyperplanes, so the seed may never change.</summary>
    private const int HyperplaneSeed = 0x4d43_4531; // "MCE1"
    private static readonly Lock HyperplanesLock = new();
    private static readonly Dictionary<int, float[]> HyperplanesByDimensions = [];

    /// <summary>Scales the vector to unit length in place (a zero vector stays zero).</summary>
    public static void Normalize(Span<float> vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0) TensorPrimitives.Divide(vector, norm, vector);
    }

    /// <summary>
    /// Normalises and rounds to the float16 values that will be stored, in place: heads score new items on exactly the
    /// values they were trained on (stored ones), so rounding never moves a score between training and serving.
    /// </summary>
    public static void Prepare(Span<float> vector)
    {
        Normalize(vector);
        for (var i = 0; i < vector.Length; i++) vector[i] = (float)(Half)vector[i];
    }

    public static byte[] ToHalfBytes(ReadOnlySpan<float> vector)
    {
        var halves = new Half[vector.Length];
        TensorPrimitives.ConvertToHalf(vector, halves);
        return MemoryMarshal.AsBytes(halves.AsSpan()).ToArray();
    }

    public static float[] FromHalfBytes(ReadOnlySpan<byte> bytes)
    {
        var halves = MemoryMarshal.Cast<byte, Half>(bytes);
        var vector = new float[halves.Length];
        TensorPrimitives.ConvertToSingle(halves, vector);
        return vector;
    }

    /// <summary>
    /// Random-hyperplane (SimHash) bits: two vectors' sketches differ in about angle/π of their bits, so a small Hamming
    /// distance (bit_count in SQL) picks candidates near in cosine. The hyperplanes are ±1 (sparse random projection).
    /// </summary>
    public static BitArray Sketch(ReadOnlySpan<float> vector)
    {
        var planes = Hyperplanes(vector.Length);
        var bits = new BitArray(SketchBits);
        for (var b = 0; b < SketchBits; b++) bits[b] = TensorPrimitives.Dot(planes.AsSpan(b * vector.Length, vector.Length), vector) >= 0;
        return bits;
    }

    private static float[] Hyperplanes(int dimensions)
    {
        lock (HyperplanesLock)
        {
            if (HyperplanesByDimensions.TryGetValue(dimensions, out var planes)) return planes;
            // A seeded System.Random keeps its legacy algorithm for compatibility: the same seed, the same planes.
            var random = new Random(HyperplaneSeed);
            planes = new float[SketchBits * dimensions];
            for (var i = 0; i < planes.Length; i++) planes[i] = random.Next(2) == 0 ? -1f : 1f;
            HyperplanesByDimensions[dimensions] = planes;
            return planes;
        }
    }
}
