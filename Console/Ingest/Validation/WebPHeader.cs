using System.Buffers.Binary;

namespace ModerationConsole.Ingest.Validation;

internal static class WebPHeader
{
    private const int RiffHeaderLength = 8; // "RIFF" + size; the RIFF size counts everything after it
    private const int ChunkHeaderEnd = 20; // "RIFF" size "WEBP" + first chunk's FourCC and size
    private const int ChunkSizeOffset = 16;

    public static bool IsWebP(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 12 && bytes.StartsWith("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8);

    public static ImageInspection Read(ReadOnlySpan<byte> bytes)
    {
        long declared = BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]) + (long)RiffHeaderLength;
        if (declared > bytes.Length)
        {
            return ImageInspection.Invalid($"truncated WebP: the RIFF header says {declared} bytes, got {bytes.Length}");
        }
        // One byte more is tolerated: RIFF pads odd-sized chunks, and some writers leave the pad out of the size.
        if (bytes.Length > declared + 1)
        {
            return ImageInspection.Invalid($"corrupt WebP: the RIFF header says {declared} bytes, got {bytes.Length}");
        }
        if (bytes.Length < ChunkHeaderEnd)
        {
            return ImageInspection.Invalid("truncated WebP: no image chunk after the RIFF header");
        }
        long chunkSize = BinaryPrimitives.ReadUInt32LittleEndian(bytes[ChunkSizeOffset..]);
        if (ChunkHeaderEnd + chunkSize > declared)
        {
            return ImageInspection.Invalid("truncated WebP: the first chunk is larger than the file");
        }
        var fourCc = bytes[12..16];
        var data = bytes.Slice(ChunkHeaderEnd, (int)chunkSize);
        if (fourCc.SequenceEqual("VP8 "u8))
        {
            return ReadLossy(data);
        }
        if (fourCc.SequenceEqual("VP8L"u8))
        {
            return ReadLossless(data);
        }
        if (fourCc.SequenceEqual("VP8X"u8))
        {
            return ReadExtended(data);
        }
        return ImageInspection.Invalid($"corrupt WebP header: unknown first chunk '{Printable(fourCc)}'");
    }

    // Frame tag (3 bytes; bit 0 clear on a key frame), start code 9D 01 2A, then 14-bit width and height
    // whose top two bits are a scaling hint.
    private static ImageInspection ReadLossy(ReadOnlySpan<byte> data)
    {
        if (data.Length < 10)
        {
            return ImageInspection.Invalid("corrupt WebP header: the VP8 chunk is too short for a frame header");
        }
        if ((data[0] & 1) != 0 || data[3] != 0x9D || data[4] != 0x01 || data[5] != 0x2A)
        {
            return ImageInspection.Invalid("corrupt WebP header: VP8 data does not start with a key frame");
        }
        int width = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]) & 0x3FFF;
        int height = BinaryPrimitives.ReadUInt16LittleEndian(data[8..]) & 0x3FFF;
        if (width == 0 || height == 0)
        {
            return ImageInspection.Invalid($"corrupt WebP header: width and height must not be 0 (got {width}x{height})");
        }
        return ImageInspection.Valid(new ImageInfo(ImageFormat.WebP, width, height));
    }

    // Signature 0x2F, then 32 bits little-endian: width-1 (14), height-1 (14), alpha hint (1), version (3, always 0).
    private static ImageInspection ReadLossless(ReadOnlySpan<byte> data)
    {
        if (data.Length < 5)
        {
            return ImageInspection.Invalid("corrupt WebP header: the VP8L chunk is too short for its header");
        }
        uint bits = BinaryPrimitives.ReadUInt32LittleEndian(data[1..]);
        if (data[0] != 0x2F || bits >> 29 != 0)
        {
            return ImageInspection.Invalid("corrupt WebP header: VP8L signature or version is wrong");
        }
        int width = (int)(bits & 0x3FFF) + 1;
        int height = (int)((bits >> 14) & 0x3FFF) + 1;
        return ImageInspection.Valid(new ImageInfo(ImageFormat.WebP, width, height));
    }

    // Flags (1), reserved (3), canvas width-1 (24 bits little-endian), canvas height-1 (24).
    private static ImageInspection ReadExtended(ReadOnlySpan<byte> data)
    {
        if (data.Length < 10)
        {
            return ImageInspection.Invalid("corrupt WebP header: the VP8X chunk is too short for its header");
        }
        int width = ReadUInt24LittleEndian(data[4..]) + 1;
        int height = ReadUInt24LittleEndian(data[7..]) + 1;
        return ImageInspection.Valid(new ImageInfo(ImageFormat.WebP, width, height));
    }

    private static int ReadUInt24LittleEndian(ReadOnlySpan<byte> bytes) => bytes[0] | bytes[1] << 8 | bytes[2] << 16;

    private static string Printable(ReadOnlySpan<byte> fourCc)
    {
        Span<char> chars = stackalloc char[4];
        for (int i = 0; i < chars.Length; i++)
        {
            chars[i] = fourCc[i] is >= 0x20 and < 0x7F ? (char)fourCc[i] : '?';
        }
        return new string(chars);
    }
}
