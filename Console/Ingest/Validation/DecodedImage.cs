namespace ModerationConsole.Ingest.Validation;

internal sealed record DecodedImage(byte[] Bytes, ImageInfo Info);
