using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using ModerationConsole.Simulate;

namespace ModerationConsole.Tests.Ingest;

/// <summary>Real, minimal images with known dimensions, built byte by byte so each test knows exactly what it feeds.</summary>
internal static class TestImages
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>A complete 8-bit greyscale PNG whose pixels decode to a gradient.</summary>
    public static byte[] Png(int width, int height) => EncodePng(width, height, width, height);

    /// <summary>
    /// The shape of a decompression bomb: the pixel data of a 1x1 image under a header that claims
    /// <paramref name="claimedWidth"/> x <paramref name="claimedHeight"/>.
    /// </summary>
    public static byte[] PngClaiming(int claimedWidth, int claimedHeight) => EncodePng(claimedWidth, claimedHeight, 1, 1);

    /// <summary>The same PNG grown to exactly <paramref name="length"/> bytes by an ancillary chunk before IEND.</summary>
    public static byte[] PadPngTo(byte[] png, int length)
    {
        const int iendLength = 12;
        int paddingData = length - png.Length - 12;
        if (paddingData < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), "The PNG is already longer than that.");
        }
        var output = new MemoryStream();
        output.Write(png, 0, png.Length - iendLength);
        WriteChunk(output, "paDd", new byte[paddingData]);
        output.Write(png, png.Length - iendLength, iendLength);
        return output.ToArray();
    }

    /// <summary>
    /// SOI, APP0 (JFIF), then <paramref name="beforeFrame"/> as raw bytes, the frame header with
    /// <paramref name="frameMarker"/>, a short scan and EOI.
    /// </summary>
    public static byte[] Jpeg(int width, int height, byte frameMarker = 0xC0, byte[]? beforeFrame = null)
    {
        var output = new MemoryStream();
        output.Write([0xFF, 0xD8]);
        output.Write(JpegSegment(0xE0, [.. "JFIF\0"u8, 1, 1, 0, 0, 1, 0, 1, 0, 0]));
        output.Write(beforeFrame ?? []);
        output.Write(JpegSegment(frameMarker,
            [8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]));
        output.Write(JpegSegment(0xDA, [3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 0x3F, 0]));
        output.Write([0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD0, 0x78]); // entropy-coded data with a stuffed byte and RST0
        output.Write([0xFF, 0xD9]);
        return output.ToArray();
    }

    /// <summary>A marker segment: FF, marker, big-endian length that counts itself, payload.</summary>
    public static byte[] JpegSegment(byte marker, byte[] payload)
    {
        int length = payload.Length + 2;
        return [0xFF, marker, (byte)(length >> 8), (byte)length, .. payload];
    }

    /// <summary>Lossy WebP: a VP8 key frame header; <paramref name="scaleBits"/> fill the two scaling bits above each dimension.</summary>
    public static byte[] WebPLossy(int width, int height, int scaleBits = 0)
    {
        byte[] frame = new byte[16];
        frame[0] = 0x10; // key frame (bit 0 clear), version 0, shown
        frame[3] = 0x9D;
        frame[4] = 0x01;
        frame[5] = 0x2A;
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(6), (ushort)(width | scaleBits << 14));
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(8), (ushort)(height | scaleBits << 14));
        return Riff(("VP8 ", frame));
    }

    /// <summary>Lossless WebP: the VP8L signature byte and the packed 14-bit width-1 and height-1.</summary>
    public static byte[] WebPLossless(int width, int height)
    {
        byte[] header = new byte[8];
        header[0] = 0x2F;
        uint bits = (uint)(width - 1) | (uint)(height - 1) << 14;
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(1), bits);
        return Riff(("VP8L", header));
    }

    /// <summary>Extended WebP: a VP8X chunk with the 24-bit canvas size, followed by a small VP8L image.</summary>
    public static byte[] WebPExtended(int width, int height)
    {
        byte[] vp8x = new byte[10];
        WriteUInt24LittleEndian(vp8x.AsSpan(4), width - 1);
        WriteUInt24LittleEndian(vp8x.AsSpan(7), height - 1);
        byte[] lossless = WebPLossless(1, 1)[20..];
        return Riff(("VP8X", vp8x), ("VP8L", lossless));
    }

    /// <summary>RIFF container: "RIFF", size of the rest, "WEBP", then each chunk padded to an even length.</summary>
    public static byte[] Riff(params (string FourCc, byte[] Data)[] chunks)
    {
        var body = new MemoryStream();
        body.Write("WEBP"u8);
        foreach (var (fourCc, data) in chunks)
        {
            body.Write(Encoding.ASCII.GetBytes(fourCc));
            body.Write(LittleEndian((uint)data.Length));
            body.Write(data);
            if (data.Length % 2 == 1)
            {
                body.WriteByte(0);
            }
        }
        return [.. "RIFF"u8, .. LittleEndian((uint)body.Length), .. body.ToArray()];
    }

    public static string Base64(byte[] bytes) => Convert.ToBase64String(bytes);

    private static byte[] EncodePng(int claimedWidth, int claimedHeight, int width, int height)
    {
        var output = new MemoryStream();
        output.Write(PngSignature);
        byte[] ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(0), claimedWidth);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), claimedHeight);
        ihdr[8] = 8; // bit depth; colour type 0 (greyscale), compression, filter and interlace all 0
        WriteChunk(output, "IHDR", ihdr);
        WriteChunk(output, "IDAT", CompressRows(width, height));
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    private static byte[] CompressRows(int width, int height)
    {
        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < height; y++)
            {
                zlib.WriteByte(0); // filter type None
                for (int x = 0; x < width; x++)
                {
                    zlib.WriteByte((byte)(x + y));
                }
            }
        }
        return compressed.ToArray();
    }

    private static void WriteChunk(Stream output, string type, byte[] data) =>
        SyntheticImages.WriteChunk(output, Encoding.ASCII.GetBytes(type), data);

    private static byte[] LittleEndian(uint value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    private static void WriteUInt24LittleEndian(Span<byte> bytes, int value)
    {
        bytes[0] = (byte)value;
        bytes[1] = (byte)(value >> 8);
        bytes[2] = (byte)(value >> 16);
    }
}
