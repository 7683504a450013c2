using System.Diagnostics.CodeAnalysis;

namespace ModerationConsole.Ingest.Validation;

/// <summary>What <see cref="ImageInspector"/> found: the image's format and size, or why the bytes are not accepted.</summary>
public sealed class ImageInspection
{
    private ImageInspection(ImageInfo? info, string? error)
    {
        Info = info;
        Error = error;
    }

    public ImageInfo? Info { get; }

    /// <summary>Clear English, safe to return to the producer.</summary>
    public string? Error { get; }

    [MemberNotNullWhen(true, nameof(Info))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsValid => Info is not null;

    public static ImageInspection Valid(ImageInfo info) => new(info, null);

    public static ImageInspection Invalid(string error) => new(null, error);

    public override string ToString() => IsValid ? Info.ToString() : Error;
}
