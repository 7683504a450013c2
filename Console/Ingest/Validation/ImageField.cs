namespace ModerationConsole.Ingest.Validation;

/// <summary>
/// The <c>image</c> field: base64 to bytes to a recognised image within the limits, cheapest check first, so an
/// oversized or hostile value costs no more than its own length.
/// </summary>
internal static class ImageField
{
    private const string Field = "image";

    /// <summary>The longest base64 text that can decode to <paramref name="maxBytes"/> bytes (padded, no whitespace).</summary>
    public static long MaxBase64Length(int maxBytes) => 4 * ((maxBytes + 2L) / 3);

    public static DecodedImage? Validate(string? base64, IngestOptions options, List<FieldError> errors)
    {
        DecodedImage? image = null;
        string? error = base64 is null ? "is required" : Check(base64, options, out image);
        if (error is not null)
        {
            errors.Add(new FieldError(Field, error));
            return null;
        }
        return image;
    }

    private static string? Check(string base64, IngestOptions options, out DecodedImage? image)
    {
        image = null;
        if (base64.Length == 0)
        {
            return "must not be empty";
        }
        long maxLength = MaxBase64Length(options.MaxImageBytes);
        if (base64.Length > maxLength)
        {
            return $"must be at most {options.MaxImageBytes} bytes decoded, that is at most {maxLength} base64 " +
                $"characters (got {base64.Length})";
        }
        if (base64.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            return "must be plain base64, not a data: URL";
        }
        byte[]? bytes = Decode(base64);
        if (bytes is null)
        {
            return "must be valid base64";
        }
        if (bytes.Length > options.MaxImageBytes)
        {
            return $"must be at most {options.MaxImageBytes} bytes decoded (got {bytes.Length})";
        }
        var inspection = ImageInspector.Inspect(bytes);
        if (!inspection.IsValid)
        {
            return inspection.Error;
        }
        var info = inspection.Info;
        int max = options.MaxImageDimension;
        if (info.Width > max || info.Height > max)
        {
            return $"must be at most {max}x{max} pixels (got {info.Width}x{info.Height})";
        }
        image = new DecodedImage(bytes, info);
        return null;
    }

    // Sized from the text, so well-formed input decodes in one exact allocation. Convert skips whitespace, which
    // only makes the estimate too large, never too small.
    private static byte[]? Decode(string base64)
    {
        int padding = base64.EndsWith("==", StringComparison.Ordinal) ? 2 : base64.EndsWith('=') ? 1 : 0;
        int capacity = (int)((base64.Length + 3L) / 4 * 3) - padding;
        var buffer = new byte[capacity];
        if (!Convert.TryFromBase64String(base64, buffer, out int written))
        {
            return null;
        }
        if (written != buffer.Length)
        {
            Array.Resize(ref buffer, written);
        }
        return buffer;
    }
}
