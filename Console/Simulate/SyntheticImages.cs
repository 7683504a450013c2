using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace ModerationConsole.Simulate;

/// <summary>
/// Real PNG files made without an image library, for demo traffic and tests: each seed gives a different picture, and
/// the noisy variant gives a realistic byte size (noise does not compress).
/// </summary>
public static class SyntheticImages
{
    static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>An RGB picture of soft bands and a disc whose colours and placement follow the seed; compresses well.</summary>
    public static byte[] Png(int width, int height, int seed) => Encode(width, height, seed, noise: false);

    /// <summary>The same kind of picture with per-pixel noise: about width × height × 3 bytes, like a photo.</summary>
    public static byte[] NoisyPng(int width, int height, int seed) => Encode(width, height, seed, noise: true);

    /// <summary>
    /// The picture of <see cref="Png"/> with light noise that differs per <paramref name="variant"/>: byte-for-byte a
    /// different file, to the eye (and to PDQ) the same picture, as the re-generations of an abuse wave are.
    /// </summary>
    public static byte[] Variant(int width, int height, int seed, int variant) => Encode(width, height, seed, noise: false, variant);

    static byte[] Encode(int width, int height, int seed, bool noise, int? variant = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        var output = new MemoryStream();
        output.Write(Signature);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(0), width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bits per sample
        header[9] = 2; // colour type RGB; compression, filter and interlace methods 0
        WriteChunk(output, "IHDR"u8, header);
        WriteChunk(output, "IDAT"u8, CompressedPixels(width, height, seed, noise, variant));
        WriteChunk(output, "IEND"u8, []);
        return output.ToArray();
    }

    static byte[] CompressedPixels(int width, int height, int seed, bool noise, int? variant)
    {
        var random = new Random(seed);
        var jitter = variant is { } v ? new Random(HashCode.Combine(seed, v)) : null;
        var (r, g, b) = ((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        var centreX = random.Next(width);
        var centreY = random.Next(height);
        var radiusSquared = Math.Pow(Math.Max(2, Math.Min(width, height) / 3.0), 2);
        var row = new byte[1 + width * 3]; // leading filter byte 0 (None)
        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, noise ? CompressionLevel.Fastest : CompressionLevel.Optimal, leaveOpen: true))
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    // Squares as products, not Math.Pow: the same exact values for these integers, and pow per pixel
                    // was most of the cost of making a picture (demo traffic, fault tests, benchmarks).
                    double dx = x - centreX, dy = y - centreY;
                    var inDisc = dx * dx + dy * dy <= radiusSquared;
                    var shade = (byte)(x * 255 / width);
                    var pixel = row.AsSpan(1 + x * 3, 3);
                    pixel[0] = inDisc ? r : shade;
                    pixel[1] = inDisc ? g : (byte)(y * 255 / height);
                    pixel[2] = inDisc ? b : (byte)(255 - shade);
                    if (noise)
                    {
                        for (var channel = 0; channel < 3; channel++)
                            pixel[channel] ^= (byte)random.Next(64);
                    }
                    if (jitter is not null)
                    {
                        for (var channel = 0; channel < 3; channel++)
                            pixel[channel] = (byte)Math.Clamp(pixel[channel] + jitter.Next(-6, 7), 0, 255);
                    }
                }
                zlib.Write(row);
            }
        }
        return compressed.ToArray();
    }

    /// <summary>Length, type, data, and the CRC-32 of type and data, as the PNG specification lays a chunk out.</summary>
    public static void WriteChunk(Stream output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        output.Write(length);
        output.Write(type);
        output.Write(data);
        var crc = new Crc32();
        crc.Append(type);
        crc.Append(data);
        Span<byte> checksum = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(checksum, crc.GetCurrentHashAsUInt32());
        output.Write(checksum);
    }
}
