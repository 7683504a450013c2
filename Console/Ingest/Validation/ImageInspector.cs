namespace ModerationConsole.Ingest.Validation;

/// <summary>
/// Recognises PNG, JPEG and WebP by their content and reads width and height from the header, without decoding
/// pixels. A security boundary: it is fed arbitrary bytes, so it never throws and never trusts a length field.
/// </summary>
public static class ImageInspector
{
    public const string UnknownFormat = "not a PNG, JPEG or WebP image";

    public static ImageInspection Inspect(ReadOnlySpan<byte> bytes)
    {
        if (PngHeader.IsPng(bytes))
        {
            return PngHeader.Read(bytes);
        }
        if (JpegHeader.IsJpeg(bytes))
        {
            return JpegHeader.Read(bytes);
        }
        if (WebPHeader.IsWebP(bytes))
        {
            return WebPHeader.Read(bytes);
        }
        return ImageInspection.Invalid(UnknownFormat);
    }
}
