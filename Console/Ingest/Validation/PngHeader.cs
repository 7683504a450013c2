using System.Buffers.Binary;

namespace ModerationConsole.Ingest.Validation;

internal static class PngHeader
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private static ReadOnlySpan<byte> Ihdr => "IHDR"u8;

    // Length 0, type IEND, and the CRC of "IEND", which is a constant: a complete file ends with exactly these bytes.
    private static ReadOnlySpan<byte> IendChunk =>
        [0, 0, 0, 0, (byte)'I', (byte)'E', (byte)'N', (byte)'D', 0xAE, 0x42, 0x60, 0x82];

    private const int IhdrDataLength = 13;
    private const int WidthOffset = 16;
    private const int HeightOffset = 20;
    private const int HeaderEnd = 33; // signature 8 + chunk length 4 + type 4 + IHDR data 13 + CRC 4

    public static bool IsPng(ReadOnlySpan<byte> bytes) => bytes.StartsWith(Signature);

    public static ImageInspection Read(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderEnd)
        {
            return ImageInspection.Invalid("truncated PNG: the file ends inside the IHDR header");
        }
        if (BinaryPrimitives.ReadUInt32BigEndian(bytes[8..]) != IhdrDataLength || !bytes[12..16].SequenceEqual(Ihdr))
        {
            return ImageInspection.Invalid("corrupt PNG header: the first chunk is not a 13-byte IHDR chunk");
        }
        uint width = BinaryPrimitives.ReadUInt32BigEndian(bytes[WidthOffset..]);
        uint height = BinaryPrimitives.ReadUInt32BigEndian(bytes[HeightOffset..]);
        if (width is 0 or > int.MaxValue || height is 0 or > int.MaxValue)
        {
            return ImageInspection.Invalid(
                $"corrupt PNG header: width and height must be 1 to {int.MaxValue} (got {width}x{height})");
        }
        if (bytes.Length < HeaderEnd + IendChunk.Length || !bytes.EndsWith(IendChunk))
        {
            return ImageInspection.Invalid("truncated PNG: no IEND chunk at the end");
        }
        return ImageInspection.Valid(new ImageInfo(ImageFormat.Png, (int)width, (int)height));
    }
}
