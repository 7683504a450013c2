using ModerationConsole.Tests.Infrastructure;
using ModerationConsole.Ingest;
using ModerationConsole.Ingest.Validation;
using Xunit;
using static ModerationConsole.Tests.Ingest.TestGenerations;

namespace ModerationConsole.Tests.Ingest;

/// <summary>The <c>image</c> field: base64 of a PNG, JPEG or WebP within the byte and pixel limits.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public class GenerationValidatorImageTests
{
    private readonly GenerationValidator _validator = new(new IngestOptions());

    public static TheoryData<string, byte[], ImageFormat> EachFormat => new()
    {
        { "png", TestImages.Png(3, 2), ImageFormat.Png },
        { "jpeg", TestImages.Jpeg(3, 2), ImageFormat.Jpeg },
        { "webp lossy", TestImages.WebPLossy(3, 2), ImageFormat.WebP },
        { "webp lossless", TestImages.WebPLossless(3, 2), ImageFormat.WebP },
        { "webp extended", TestImages.WebPExtended(3, 2), ImageFormat.WebP },
    };

    [Theory]
    [MemberData(nameof(EachFormat))]
    public void Each_format_is_accepted_and_recognised_from_its_bytes(string name, byte[] image, ImageFormat format)
    {
        var item = With("image", TestImages.Base64(image));
        item.Metadata = new() { ["contentType"] = "image/gif" }; // a claim, which nothing reads

        var generation = AssertValid(_validator.Validate(item));

        Assert.Equal(new ImageInfo(format, 3, 2), generation.Image);
        Assert.Equal(image, generation.ImageBytes);
        Assert.NotEmpty(name);
    }

    [Fact]
    public void Base64_with_line_breaks_is_decoded() =>
        AssertValid(_validator.Validate(With("image", Convert.ToBase64String(TestImages.Png(30, 30), Base64FormattingOptions.InsertLineBreaks))));

    [Theory]
    [InlineData("not base64!")]
    [InlineData("AAAAA")]
    [InlineData("iVBORw0KGgo=AAAA")]
    public void Text_that_is_not_base64_is_rejected(string value) =>
        AssertSingleError(_validator.Validate(With("image", value)), "image", "must be valid base64");

    [Fact]
    public void A_data_URL_is_rejected_with_a_hint() =>
        AssertSingleError(_validator.Validate(With("image", "data:image/png;base64," + TestImages.Base64(TestImages.Png(1, 1)))),
            "image", "must be plain base64, not a data: URL");

    [Fact]
    public void Bytes_that_are_no_supported_image_are_rejected() =>
        AssertSingleError(_validator.Validate(With("image", TestImages.Base64("GIF89a\u0001\0\u0001\0"u8.ToArray()))),
            "image", "not a PNG, JPEG or WebP image");

    [Fact]
    public void A_truncated_image_is_rejected_with_the_inspector_s_reason() =>
        AssertSingleError(_validator.Validate(With("image", TestImages.Base64(TestImages.Png(8, 8)[..^4]))),
            "image", "truncated PNG: no IEND chunk at the end");

    [Fact]
    public void A_tiny_file_claiming_huge_dimensions_is_rejected_by_the_pixel_limit()
    {
        byte[] bomb = TestImages.PngClaiming(100_000, 100_000);
        Assert.True(bomb.Length < 100);

        AssertSingleError(_validator.Validate(With("image", TestImages.Base64(bomb))),
            "image", "must be at most 4096x4096 pixels (got 100000x100000)");
    }

    [Theory]
    [InlineData(4096, 4096, true)]
    [InlineData(4097, 1, false)]
    [InlineData(1, 4097, false)]
    public void Width_and_height_are_limited_by_MaxImageDimension(int width, int height, bool accepted)
    {
        var result = _validator.Validate(With("image", TestImages.Base64(TestImages.PngClaiming(width, height))));

        if (accepted)
        {
            AssertValid(result);
        }
        else
        {
            AssertSingleError(result, "image", $"must be at most 4096x4096 pixels (got {width}x{height})");
        }
    }

    [Fact]
    public void The_pixel_limit_is_configurable()
    {
        var validator = new GenerationValidator(new IngestOptions { MaxImageDimension = 16 });

        AssertValid(validator.Validate(With("image", TestImages.Base64(TestImages.WebPLossless(16, 16)))));
        AssertSingleError(validator.Validate(With("image", TestImages.Base64(TestImages.WebPLossless(17, 16)))),
            "image", "must be at most 16x16 pixels (got 17x16)");
    }

    [Fact]
    public void An_image_of_exactly_MaxImageBytes_is_accepted_and_one_byte_more_rejected()
    {
        var validator = new GenerationValidator(new IngestOptions { MaxImageBytes = 1024 });
        byte[] png = TestImages.Png(4, 4);

        AssertValid(validator.Validate(With("image", TestImages.Base64(TestImages.PadPngTo(png, 1024)))));
        AssertSingleError(validator.Validate(With("image", TestImages.Base64(TestImages.PadPngTo(png, 1025)))),
            "image", "must be at most 1024 bytes decoded (got 1025)");
    }

    [Fact]
    public void Base64_longer_than_any_encoding_of_MaxImageBytes_is_rejected_before_decoding()
    {
        var validator = new GenerationValidator(new IngestOptions { MaxImageBytes = 1024 });
        const int longestEncoding = 1368; // 4 * ceil(1024 / 3)

        // Not base64 at all: the length alone decides, so the text was never decoded.
        AssertSingleError(validator.Validate(With("image", new string('!', longestEncoding + 1))),
            "image", "must be at most 1024 bytes decoded, that is at most 1368 base64 characters (got 1369)");
        AssertSingleError(validator.Validate(With("image", new string('!', longestEncoding))),
            "image", "must be valid base64");
    }

    [Fact]
    public void The_default_limit_lets_a_10_MiB_image_through_as_base64()
    {
        byte[] image = TestImages.PadPngTo(TestImages.Png(64, 64), 10 * 1024 * 1024);

        var generation = AssertValid(_validator.Validate(With("image", TestImages.Base64(image))));

        Assert.Equal(image.Length, generation.ImageBytes.Length);
    }
}
