using System.Buffers.Binary;

namespace ModerationConsole.Ingest.Validation;

internal static class JpegHeader
{
    private const byte MarkerPrefix = 0xFF;
    private const byte Soi = 0xD8;
    private const byte Eoi = 0xD9;
    private const byte Sos = 0xDA;
    private const byte Tem = 0x01;

    public static bool IsJpeg(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 3 && bytes[0] == MarkerPrefix && bytes[1] == Soi && bytes[2] == MarkerPrefix;

    public static ImageInspection Read(ReadOnlySpan<byte> bytes)
    {
        var header = ReadFrameHeader(bytes);
        if (!header.IsValid)
        {
            return header;
        }
        if (bytes.Length < 4 || bytes[^2] != MarkerPrefix || bytes[^1] != Eoi)
        {
            return ImageInspection.Invalid("truncated JPEG: no EOI marker (FFD9) at the end");
        }
        return header;
    }

    // Walks the marker segments after SOI up to the first frame header (SOFn), which holds the dimensions.
    // Every step moves forward by at least one byte, so the walk ends on any input.
    private static ImageInspection ReadFrameHeader(ReadOnlySpan<byte> bytes)
    {
        int pos = 2;
        while (true)
        {
            if (pos >= bytes.Length)
            {
                return ImageInspection.Invalid("truncated JPEG: the file ends before the frame header (SOF)");
            }
            if (bytes[pos] != MarkerPrefix)
            {
                return ImageInspection.Invalid($"corrupt JPEG header: expected a marker at byte {pos}");
            }
            while (pos < bytes.Length && bytes[pos] == MarkerPrefix)
            {
                pos++; // fill bytes: any number of 0xFF may precede a marker
            }
            if (pos >= bytes.Length)
            {
                return ImageInspection.Invalid("truncated JPEG: the file ends before the frame header (SOF)");
            }
            byte marker = bytes[pos++];
            if (IsStandalone(marker))
            {
                continue;
            }
            if (marker == 0x00 || marker == Eoi || marker == Sos)
            {
                return ImageInspection.Invalid(
                    $"corrupt JPEG header: marker FF{marker:X2} before the frame header (SOF)");
            }
            if (pos + 2 > bytes.Length)
            {
                return ImageInspection.Invalid("truncated JPEG: the file ends inside a marker segment");
            }
            int length = BinaryPrimitives.ReadUInt16BigEndian(bytes[pos..]);
            if (length < 2)
            {
                return ImageInspection.Invalid($"corrupt JPEG header: segment FF{marker:X2} has length {length}");
            }
            if (IsStartOfFrame(marker))
            {
                return ReadDimensions(bytes, pos, length);
            }
            pos += length;
        }
    }

    // Segment layout after the marker: length (2), sample precision (1), height (2), width (2), components (1), ...
    private static ImageInspection ReadDimensions(ReadOnlySpan<byte> bytes, int pos, int length)
    {
        if (length < 8)
        {
            return ImageInspection.Invalid($"corrupt JPEG header: frame header of length {length} is too short");
        }
        if (pos + 7 > bytes.Length)
        {
            return ImageInspection.Invalid("truncated JPEG: the file ends inside the frame header (SOF)");
        }
        int height = BinaryPrimitives.ReadUInt16BigEndian(bytes[(pos + 3)..]);
        int width = BinaryPrimitives.ReadUInt16BigEndian(bytes[(pos + 5)..]);
        if (width == 0 || height == 0)
        {
            // Height 0 defers the height to a DNL marker after the first scan: legal, but rare and not supported.
            return ImageInspection.Invalid($"corrupt JPEG header: width and height must not be 0 (got {width}x{height})");
        }
        return ImageInspection.Valid(new ImageInfo(ImageFormat.Jpeg, width, height));
    }

    private static bool IsStandalone(byte marker) =>
        marker is Tem or Soi or (>= 0xD0 and <= 0xD7); // TEM, SOI, RST0..RST7 carry no length field

    // SOF0..SOF15 share C0..CF with three markers that are not frame headers: DHT (C4), JPG (C8) and DAC (CC).
    private static bool IsStartOfFrame(byte marker) =>
        marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC;
}
