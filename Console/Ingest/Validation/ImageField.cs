using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace ModerationConsole.Ingest.Validation;

/// <summary>
/// The <c>image</c> field: base64 to bytes to a recognised image within the limits, cheapest check first, so an
/// oversized or hostile value costs no more than its own length.
/// </summary>
public static class ImageField
{
    private const string Field = "image";

    /// <summary>The longest base64 text that can decode to <paramref name="maxBytes"/> bytes (padded, no whitespace).</summary>
    public static long MaxBase64Length(int maxBytes) => 4 * ((maxBytes + 2L) / 3);

    /// <summary>The text checks on a string (a producer's object built in code, or a test); JSON goes through <see cref="FromUtf8"/>.</summary>
    public static Base64Image FromText(string? base64, IngestOptions options)
    {
        if (base64 is null) return Base64Image.Missing;
        // Refused on its length before anything is copied, so an oversized value costs no more than its own length.
        if (TooLong(base64.Length, options) is { } tooLong) return tooLong;
        var utf8 = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(base64.Length));
        try
        {
            return FromUtf8(utf8.AsSpan(0, Encoding.UTF8.GetBytes(base64, utf8)), options);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
        }
    }

    /// <summary>
    /// The text checks on the field's UTF-8 text as it came in the JSON (unescaped), cheapest first, then the decoding:
    /// ingest reads the image straight from the message's bytes, with no string in between.
    /// </summary>
    public static Base64Image FromUtf8(ReadOnlySpan<byte> base64, IngestOptions options)
    {
        if (base64.IsEmpty) return Base64Image.Refused("must not be empty");
        if (TooLong(base64.Length, options) is { } tooLong) return tooLong;
        if (base64.Length >= 5 && Ascii.EqualsIgnoreCase(base64[..5], "data:"u8))
            return Base64Image.Refused("must be plain base64, not a data: URL");
        var bytes = Decode(base64);
        if (bytes is null) return Base64Image.Refused("must be valid base64");
        if (bytes.Length > options.MaxImageBytes)
            return Base64Image.Refused($"must be at most {options.MaxImageBytes} bytes decoded (got {bytes.Length})");
        return new Base64Image(bytes, null);
    }

    /// <summary>The image checks on the decoded bytes: a recognised format within the pixel limits.</summary>
    internal static DecodedImage? Validate(Base64Image text, IngestOptions options, List<FieldError> errors)
    {
        DecodedImage? image = null;
        var error = text switch
        {
            { Error: { } refused } => refused,
            { Bytes: null } => "is required",
            { Bytes: { } bytes } => Inspect(bytes, options, out image),
        };
        if (error is not null) errors.Add(new FieldError(Field, error));
        return image;
    }

    /// <summary>The refusal of a text of <paramref name="length"/> characters, or null when that length is allowed.</summary>
    public static Base64Image? TooLong(long length, IngestOptions options)
    {
        long maxLength = MaxBase64Length(options.MaxImageBytes);
        return length > maxLength
            ? Base64Image.Refused($"must be at most {options.MaxImageBytes} bytes decoded, that is at most {maxLength} base64 characters (got {length})")
            : null;
    }

    private static string? Inspect(byte[] bytes, IngestOptions options, out DecodedImage? image)
    {
        image = null;
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

    // Sized from the text, so well-formed input decodes in one exact allocation. Whitespace is skipped (as Convert
    // does), which only makes the estimate too large, never too small. The array is not cleared first (clearing 64 KB
    // per image showed in profiles): the decoder writes every byte that is returned, a shorter result is copied into
    // an array of its own length, and a failed decode returns nothing.
    private static byte[]? Decode(ReadOnlySpan<byte> base64)
    {
        int padding = base64.EndsWith("=="u8) ? 2 : base64.EndsWith("="u8) ? 1 : 0;
        int capacity = Math.Max(0, (int)((base64.Length + 3L) / 4 * 3) - padding);
        var buffer = GC.AllocateUninitializedArray<byte>(capacity);
        if (Base64.DecodeFromUtf8(base64, buffer, out _, out int written) != OperationStatus.Done)
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
