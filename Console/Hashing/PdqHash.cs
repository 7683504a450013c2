using System.Collections;
using System.Globalization;
using System.Numerics;

namespace ModerationConsole.Hashing;

/// <summary>
/// A 256-bit PDQ hash. Bit k (0–255) is bit k of the 256-bit number whose 64 hex digits are the hash's usual text
/// form, so hashes read and written here are the ones other PDQ implementations and shared hash lists use.
/// </summary>
public readonly record struct PdqHash(ulong Bits0, ulong Bits1, ulong Bits2, ulong Bits3)
{
    public const int BitCount = 256;

    public bool this[int bit] => ((Word(bit >> 6) >> (bit & 63)) & 1) != 0;

    public ulong Word(int index) => index switch
    {
        0 => Bits0,
        1 => Bits1,
        2 => Bits2,
        3 => Bits3,
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    /// <summary>The 16 bits of band <paramref name="band"/> (0–15): bits 16·band to 16·band+15.</summary>
    public int Band(int band) => (int)((Word(band >> 2) >> ((band & 3) * 16)) & 0xFFFF);

    public int DistanceTo(PdqHash other) =>
        BitOperations.PopCount(Bits0 ^ other.Bits0) + BitOperations.PopCount(Bits1 ^ other.Bits1)
        + BitOperations.PopCount(Bits2 ^ other.Bits2) + BitOperations.PopCount(Bits3 ^ other.Bits3);

    public static PdqHash FromBits(ReadOnlySpan<bool> bits)
    {
        if (bits.Length != BitCount) throw new ArgumentException($"A PDQ hash has {BitCount} bits.", nameof(bits));
        Span<ulong> words = stackalloc ulong[4];
        for (var k = 0; k < BitCount; k++)
            if (bits[k]) words[k >> 6] |= 1UL << (k & 63);
        return new PdqHash(words[0], words[1], words[2], words[3]);
    }

    public PdqHash FlipBit(int bit)
    {
        Span<ulong> words = [Bits0, Bits1, Bits2, Bits3];
        words[bit >> 6] ^= 1UL << (bit & 63);
        return new PdqHash(words[0], words[1], words[2], words[3]);
    }

    /// <summary>The 64 lower-case hex digits, most significant first.</summary>
    public override string ToString() => $"{Bits3:x16}{Bits2:x16}{Bits1:x16}{Bits0:x16}";

    public static bool TryParse(string? text, out PdqHash hash)
    {
        hash = default;
        text = text?.Trim();
        if (text is not { Length: 64 } || !text.All(char.IsAsciiHexDigit)) return false;
        ulong Read(int word) => ulong.Parse(text.AsSpan((3 - word) * 16, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        hash = new PdqHash(Read(0), Read(1), Read(2), Read(3));
        return true;
    }

    public static PdqHash Parse(string text) =>
        TryParse(text, out var hash) ? hash : throw new FormatException("A PDQ hash is 64 hexadecimal digits.");

    /// <summary>
    /// PostgreSQL keeps hashes as <c>bit(256)</c> written like the hex form, most significant bit first, so that
    /// <c>bit_count(a # b)</c> is the Hamming distance in SQL as well.
    /// </summary>
    public BitArray ToBitString()
    {
        var bits = new BitArray(BitCount);
        for (var k = 0; k < BitCount; k++) bits[BitCount - 1 - k] = this[k];
        return bits;
    }

    public static PdqHash FromBitString(BitArray bits)
    {
        if (bits.Length != BitCount) throw new ArgumentException($"A PDQ hash has {BitCount} bits, not {bits.Length}.", nameof(bits));
        Span<bool> flags = stackalloc bool[BitCount];
        for (var k = 0; k < BitCount; k++) flags[k] = bits[BitCount - 1 - k];
        return FromBits(flags);
    }

    /// <summary>
    /// The 16 bands as distinct integers (band number in the high half, band bits in the low half), for a GIN index:
    /// two hashes within distance d share, by the pigeonhole principle, a band within distance ⌊d/16⌋.
    /// </summary>
    public int[] BandKeys()
    {
        var keys = new int[16];
        for (var band = 0; band < 16; band++) keys[band] = (band << 16) | Band(band);
        return keys;
    }

    /// <summary>Every band key within <paramref name="radius"/> bits of this hash's bands: what to look up for a search.</summary>
    public int[] BandProbes(int radius)
    {
        var probes = new List<int>(16 * 17);
        Span<int> values = stackalloc int[BandNeighbourhood.MaxCount];
        for (var band = 0; band < 16; band++)
            foreach (var value in values[..BandNeighbourhood.Fill(Band(band), radius, values)])
                probes.Add((band << 16) | value);
        return probes.ToArray();
    }
}

/// <summary>The 16-bit values within a Hamming radius of a value (radius 0–3 keeps a search to at most 697 per band).</summary>
public static class BandNeighbourhood
{
    public const int MaxRadius = 3;

    /// <summary>1 + 16 + 120 + 560: the value and those 1, 2 and 3 bits away.</summary>
    public const int MaxCount = 697;

    /// <summary>Writes the value and its neighbours within <paramref name="radius"/> into <paramref name="into"/>; returns how many.</summary>
    public static int Fill(int value, int radius, Span<int> into)
    {
        if (radius is < 0 or > MaxRadius) throw new ArgumentOutOfRangeException(nameof(radius), $"A band radius is 0–{MaxRadius}.");
        var count = 0;
        into[count++] = value;
        if (radius < 1) return count;
        for (var a = 0; a < 16; a++)
        {
            into[count++] = value ^ (1 << a);
            if (radius < 2) continue;
            for (var b = a + 1; b < 16; b++)
            {
                into[count++] = value ^ (1 << a) ^ (1 << b);
                if (radius < 3) continue;
                for (var c = b + 1; c < 16; c++)
                    into[count++] = value ^ (1 << a) ^ (1 << b) ^ (1 << c);
            }
        }
        return count;
    }
}
