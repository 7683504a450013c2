namespace ModerationConsole.Ingest.Validation;

/// <summary>
/// The <c>image</c> field after its text checks (<see cref="ImageField.FromUtf8"/>): the decoded bytes, or why the text
/// was refused; neither when the field was absent or null. The bytes are checked as an image later, by the validator.
/// </summary>
public readonly record struct Base64Image(byte[]? Bytes, string? Error)
{
    public static Base64Image Missing => default;

    internal static Base64Image Refused(string error) => new(null, error);
}
