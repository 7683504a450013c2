// Hand-written: libpng (inside Skia) inflates row by row; this decodes generators' PNGs 1.4–1.6× faster (docs/architecture.md).
using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModerationConsole.Imaging;

/// <summary>
/// A fast path for the PNGs image generators write (8-bit grey, grey+alpha, RGB or RGBA, not interlaced): the whole
/// IDAT stream is inflated in one call and unfiltered in place. libpng (inside Skia) inflates one row at a time, which
/// keeps zlib out of its fast loop on narrow images; that row-wise inflate was the largest single cost of ingest.
/// <para>
/// It decodes only what it is sure of and says so: anything else — palette, 16-bit, interlacing, transparency or
/// colour chunks, a bad CRC, too little or too much image data, an unknown filter — returns false without a verdict,
/// and the caller decodes with Skia, which stays the authority on what is corrupt.
/// </para>
/// <para>
/// The per-row loops are compiled fully optimised at once, as PDQ's kernels are: ingest runs them for every image
/// from the first one, and tiered compilation left them in slow drafts for long stretches of a busy server.
/// </para>
/// </summary>
public static class ManagedPng
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private const int ChunkOverhead = 12; // length 4, type 4, CRC 4

    /// <summary>Width, height and samples per pixel of a PNG this decoder handles.</summary>
    public readonly record struct Layout(int Width, int Height, int Channels)
    {
        public int Stride => 1 + Width * Channels; // the filter byte, then the samples
    }

    /// <summary>The layout when the header describes a PNG this decoder handles; false for any other bytes.</summary>
    public static bool TryReadLayout(ReadOnlySpan<byte> png, out Layout layout)
    {
        layout = default;
        if (png.Length < Signature.Length + ChunkOverhead + 13 || !png.StartsWith(Signature)) return false;
        var ihdr = png[Signature.Length..];
        if (BinaryPrimitives.ReadUInt32BigEndian(ihdr) != 13 || !ihdr[4..8].SequenceEqual("IHDR"u8)) return false;
        var data = ihdr.Slice(8, 13);
        var width = BinaryPrimitives.ReadUInt32BigEndian(data);
        var height = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        var channels = data[9] switch { 0 => 1, 4 => 2, 2 => 3, 6 => 4, _ => 0 }; // grey, grey+alpha, RGB, RGBA
        // Bit depth 8; compression, filter method and interlace all 0 (the only deflate/adaptive, no Adam7).
        if (data[8] != 8 || channels == 0 || data[10] != 0 || data[11] != 0 || data[12] != 0) return false;
        // The raw image (filter bytes included) must fit one array; larger images go to Skia.
        if (width is 0 or > 1 << 16 || height is 0 or > 1 << 16 || (1 + width * (ulong)channels) * height > (ulong)Array.MaxLength) return false;
        layout = new Layout((int)width, (int)height, channels);
        return true;
    }

    /// <summary>
    /// Decodes into unpremultiplied RGBA8888 rows of <paramref name="rowBytes"/> bytes, as Skia would. False, with the
    /// destination in an undefined state, when this decoder does not vouch for the file (see the type's remarks).
    /// </summary>
    public static bool TryDecode(byte[] png, Layout layout, Span<byte> rgba, int rowBytes)
    {
        if (rowBytes < layout.Width * 4 || rgba.Length < (long)rowBytes * (layout.Height - 1) + layout.Width * 4) return false;
        var idat = FindImageData(png);
        if (idat is null) return false;

        var rawLength = layout.Stride * layout.Height;
        var raw = PixelBuffers.Rent<byte>(rawLength);
        var zeroRow = ArrayPool<byte>.Shared.Rent(layout.Stride);
        try
        {
            if (!Inflate(png, idat, raw.AsSpan(0, rawLength))) return false;
            Array.Clear(zeroRow, 0, layout.Stride);
            var bpp = layout.Channels;
            for (var y = 0; y < layout.Height; y++)
            {
                var row = raw.AsSpan(y * layout.Stride, layout.Stride);
                var previous = y == 0 ? zeroRow.AsSpan(1, layout.Stride - 1) : raw.AsSpan((y - 1) * layout.Stride + 1, layout.Stride - 1);
                if (!Unfilter(row[0], row[1..], previous, bpp)) return false;
                Expand(row[1..], rgba.Slice(y * rowBytes, layout.Width * 4), bpp);
            }
            return true;
        }
        finally
        {
            PixelBuffers.Return(raw);
            ArrayPool<byte>.Shared.Return(zeroRow);
        }
    }

    /// <summary>
    /// The (offset, length) of each IDAT chunk's data, when the file is laid out as the specification asks and every
    /// chunk's CRC holds; null otherwise. Chunks that change pixels (tRNS, gAMA, iCCP, ...) or that this decoder does
    /// not know send the file to Skia; text, time and physical-size chunks are skipped.
    /// </summary>
    private static List<(int Offset, int Length)>? FindImageData(byte[] png)
    {
        var chunks = new List<(int Offset, int Length)>();
        var position = Signature.Length;
        var afterImageData = false;
        while (position <= png.Length - ChunkOverhead)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(position));
            if (length > (uint)(png.Length - position - ChunkOverhead)) return null;
            var type = png.AsSpan(position + 4, 4);
            var typeAndData = png.AsSpan(position + 4, 4 + (int)length);
            if (Crc32.HashToUInt32(typeAndData) != BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(position + 8 + (int)length))) return null;
            var dataOffset = position + 8;
            position += ChunkOverhead + (int)length;

            if (type.SequenceEqual("IDAT"u8))
            {
                if (afterImageData) return null; // IDAT chunks must be consecutive
                chunks.Add((dataOffset, (int)length));
                continue;
            }
            if (chunks.Count > 0) afterImageData = true;
            if (type.SequenceEqual("IEND"u8)) return chunks.Count > 0 && position == png.Length ? chunks : null;
            if (type.SequenceEqual("IHDR"u8) ? dataOffset != Signature.Length + 8 : !IsPixelNeutral(type)) return null;
        }
        return null; // no IEND
    }

    private static bool IsPixelNeutral(ReadOnlySpan<byte> type) =>
        type.SequenceEqual("tEXt"u8) || type.SequenceEqual("zTXt"u8) || type.SequenceEqual("iTXt"u8) ||
        type.SequenceEqual("tIME"u8) || type.SequenceEqual("pHYs"u8);

    /// <summary>Inflates exactly the destination's length; any more or less, or a corrupt stream, is false.</summary>
    private static bool Inflate(byte[] png, List<(int Offset, int Length)> chunks, Span<byte> destination)
    {
        try
        {
            using var zlib = new ZLibStream(new ChunkStream(png, chunks), CompressionMode.Decompress);
            if (zlib.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false) != destination.Length) return false;
            Span<byte> probe = stackalloc byte[1];
            return zlib.Read(probe) == 0; // also reads the Adler-32 trailer, which zlib checks
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    /// <summary>Reverses the row's filter in place (PNG specification §9.2); false for an unknown filter type.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Unfilter(byte filter, Span<byte> row, ReadOnlySpan<byte> previous, int bpp)
    {
        switch (filter)
        {
            case 0:
                return true;
            case 1: // Sub
                for (var i = bpp; i < row.Length; i++) row[i] += row[i - bpp];
                return true;
            case 2: // Up
                AddUp(row, previous);
                return true;
            case 3: // Average
                for (var i = 0; i < bpp; i++) row[i] += (byte)(previous[i] >> 1);
                for (var i = bpp; i < row.Length; i++) row[i] += (byte)((row[i - bpp] + previous[i]) >> 1);
                return true;
            case 4: // Paeth
                for (var i = 0; i < bpp; i++) row[i] += previous[i]; // left and upper-left are 0: the predictor is "up"
                for (var i = bpp; i < row.Length; i++) row[i] += Paeth(row[i - bpp], previous[i], previous[i - bpp]);
                return true;
            default:
                return false;
        }
    }

    private static void AddUp(Span<byte> row, ReadOnlySpan<byte> previous)
    {
        var i = 0;
        for (; i <= row.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            (new Vector<byte>(row[i..]) + new Vector<byte>(previous[i..])).CopyTo(row[i..]);
        for (; i < row.Length; i++) row[i] += previous[i];
    }

    private static byte Paeth(byte left, byte up, byte upLeft)
    {
        int p = left + up - upLeft;
        int pa = Math.Abs(p - left), pb = Math.Abs(p - up), pc = Math.Abs(p - upLeft);
        return pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
    }

    // Four pixels at a time: which source byte lands in each RGBA byte (0x80 gives zero, then filled with opaque
    // alpha), and how many source bytes four pixels take.
    private static readonly Vector128<byte> GreyToRgba = Vector128.Create((byte)0, 0, 0, 0x80, 1, 1, 1, 0x80, 2, 2, 2, 0x80, 3, 3, 3, 0x80);
    private static readonly Vector128<byte> GreyAlphaToRgba = Vector128.Create((byte)0, 0, 0, 1, 2, 2, 2, 3, 4, 4, 4, 5, 6, 6, 6, 7);
    private static readonly Vector128<byte> RgbToRgba = Vector128.Create((byte)0, 1, 2, 0x80, 3, 4, 5, 0x80, 6, 7, 8, 0x80, 9, 10, 11, 0x80);
    private static readonly Vector128<byte> Opaque = Vector128.Create(0xFF000000u).AsByte();

    /// <summary>One row of samples to RGBA8888: grey spread over R, G and B, alpha 255 where the file has none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Expand(ReadOnlySpan<byte> samples, Span<byte> rgba, int channels)
    {
        if (channels == 4)
        {
            samples.CopyTo(rgba);
            return;
        }
        var (shuffle, alpha) = channels switch
        {
            1 => (GreyToRgba, Opaque),
            2 => (GreyAlphaToRgba, Vector128<byte>.Zero),
            _ => (RgbToRgba, Opaque),
        };
        var step = 4 * channels;
        int s = 0, d = 0;
        // A whole vector is read each time, so the loop stops while 16 source bytes remain; the scalar loop ends the row.
        for (; s <= samples.Length - 16; s += step, d += 16)
            (Vector128.Shuffle(Vector128.Create(samples.Slice(s, 16)), shuffle) | alpha).CopyTo(rgba.Slice(d, 16));
        for (; d < rgba.Length; s += channels, d += 4)
        {
            rgba[d] = samples[s];
            rgba[d + 1] = samples[s + (channels == 3 ? 1 : 0)];
            rgba[d + 2] = samples[s + (channels == 3 ? 2 : 0)];
            rgba[d + 3] = channels == 2 ? samples[s + 1] : (byte)255;
        }
    }

    /// <summary>The IDAT chunks' data read as one stream straight from the file, without joining them first.</summary>
    private sealed class ChunkStream(byte[] png, List<(int Offset, int Length)> chunks) : Stream
    {
        private int chunk;
        private int offsetInChunk;

        public override int Read(Span<byte> buffer)
        {
            while (chunk < chunks.Count && offsetInChunk == chunks[chunk].Length)
            {
                chunk++;
                offsetInChunk = 0;
            }
            if (chunk == chunks.Count) return 0;
            var (offset, length) = chunks[chunk];
            var count = Math.Min(buffer.Length, length - offsetInChunk);
            png.AsSpan(offset + offsetInChunk, count).CopyTo(buffer);
            offsetInChunk += count;
            return count;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
