using System.Buffers.Binary;
using System.IO.Compression;
using ModerationConsole.Simulate;

namespace ModerationConsole.Tests.Imaging;

/// <summary>
/// Writes PNGs the way different encoders do — any colour type, any filter per row, image data split over many IDAT
/// chunks, extra chunks — and can spoil them in the ways a decoder must notice.
/// </summary>
internal sealed class PngBuilder(int width, int height, int channels)
{
    public byte ColourType { get; init; } = channels switch { 1 => 0, 2 => 4, 3 => 2, _ => 6 };
    public byte BitDepth { get; init; } = 8;
    public byte Interlace { get; init; }

    /// <summary>The filter of row y; None for every row unless set.</summary>
    public Func<int, byte> Filter { get; init; } = _ => 0;

    /// <summary>The largest IDAT chunk; the image data is split at this size.</summary>
    public int IdatSize { get; init; } = int.MaxValue;

    /// <summary>Chunks written between IHDR and the first IDAT.</summary>
    public List<(string Type, byte[] Data)> ChunksBefore { get; init; } = [];

    /// <summary>Bytes added to the filtered data before it is compressed (a file with more image data than its size).</summary>
    public int ExtraImageBytes { get; init; }

    /// <summary>Rows left out of the compressed data (a file with less image data than its size).</summary>
    public int MissingRows { get; init; }

    /// <summary>Samples of every row, channels interleaved, filled with a seeded mix of gradients and noise.</summary>
    public byte[] Samples { get; } = Fill(width, height, channels);

    private static byte[] Fill(int width, int height, int channels)
    {
        var random = new Random(width * 31 + height * 7 + channels);
        var samples = new byte[width * height * channels];
        for (var i = 0; i < samples.Length; i++)
        {
            var x = i / channels % width;
            var y = i / channels / width;
            // Smooth areas exercise the predictors, noise exercises the wrap-around of byte arithmetic.
            samples[i] = (byte)(x * 255 / Math.Max(1, width - 1) + y * 3 + random.Next(random.Next(2) == 0 ? 4 : 256));
        }
        return samples;
    }

    /// <summary>What a decoder must produce: RGBA8888, grey spread over R, G and B, opaque where there is no alpha.</summary>
    public byte[] ExpectedRgba()
    {
        var rgba = new byte[width * height * 4];
        for (var p = 0; p < width * height; p++)
        {
            var s = Samples.AsSpan(p * channels, channels);
            (rgba[4 * p], rgba[4 * p + 1], rgba[4 * p + 2], rgba[4 * p + 3]) = channels switch
            {
                1 => (s[0], s[0], s[0], (byte)255),
                2 => (s[0], s[0], s[0], s[1]),
                3 => (s[0], s[1], s[2], (byte)255),
                _ => (s[0], s[1], s[2], s[3]),
            };
        }
        return rgba;
    }

    public byte[] Build()
    {
        var output = new MemoryStream();
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        (header[8], header[9], header[12]) = (BitDepth, ColourType, Interlace);
        SyntheticImages.WriteChunk(output, "IHDR"u8, header);
        foreach (var (type, data) in ChunksBefore) SyntheticImages.WriteChunk(output, System.Text.Encoding.ASCII.GetBytes(type), data);
        var compressed = Compress();
        for (var offset = 0; offset < compressed.Length; offset += IdatSize)
            SyntheticImages.WriteChunk(output, "IDAT"u8, compressed.AsSpan(offset, Math.Min(IdatSize, compressed.Length - offset)));
        SyntheticImages.WriteChunk(output, "IEND"u8, []);
        return output.ToArray();
    }

    private byte[] Compress()
    {
        var rowLength = width * channels;
        var filtered = new MemoryStream();
        for (var y = 0; y < height - MissingRows; y++)
        {
            var filter = Filter(y);
            filtered.WriteByte(filter);
            var row = Samples.AsSpan(y * rowLength, rowLength);
            var up = y == 0 ? new byte[rowLength] : Samples.AsSpan((y - 1) * rowLength, rowLength);
            for (var i = 0; i < rowLength; i++)
            {
                int left = i >= channels ? row[i - channels] : 0, above = up[i], upLeft = i >= channels ? up[i - channels] : 0;
                var predictor = filter switch
                {
                    0 => 0,
                    1 => left,
                    2 => above,
                    3 => (left + above) / 2,
                    4 => Paeth(left, above, upLeft),
                    _ => 0, // an invalid filter byte: the samples are written as they are
                };
                filtered.WriteByte((byte)(row[i] - predictor));
            }
        }
        filtered.Write(new byte[ExtraImageBytes]);
        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(filtered.ToArray());
        return compressed.ToArray();
    }

    // Written out from the specification's pseudo-code (§9.4), independently of the decoder's version.
    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var pa = Math.Abs(p - a);
        var pb = Math.Abs(p - b);
        var pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc) return a;
        if (pb <= pc) return b;
        return c;
    }
}
