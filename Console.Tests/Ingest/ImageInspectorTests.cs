using ModerationConsole.Tests.Infrastructure;
using ModerationConsole.Ingest;
using ModerationConsole.Ingest.Validation;
using Xunit;

namespace ModerationConsole.Tests.Ingest;

[Trait(TestKind.Trait, TestKind.Unit)]
public class ImageInspectorTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 2)]
    [InlineData(17, 5)]
    [InlineData(300, 1)]
    public void Png_dimensions_come_from_IHDR(int width, int height) =>
        AssertImage(TestImages.Png(width, height), ImageFormat.Png, width, height);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(640, 480)]
    [InlineData(65535, 65535)]
    public void Jpeg_dimensions_come_from_the_frame_header(int width, int height) =>
        AssertImage(TestImages.Jpeg(width, height), ImageFormat.Jpeg, width, height);

    [Theory]
    [InlineData(0xC0)] // baseline
    [InlineData(0xC1)]
    [InlineData(0xC2)] // progressive
    [InlineData(0xC3)]
    [InlineData(0xC5)]
    [InlineData(0xC6)]
    [InlineData(0xC7)]
    [InlineData(0xC9)]
    [InlineData(0xCA)]
    [InlineData(0xCB)]
    [InlineData(0xCD)]
    [InlineData(0xCE)]
    [InlineData(0xCF)]
    public void Jpeg_every_kind_of_frame_header_gives_dimensions(byte frameMarker) =>
        AssertImage(TestImages.Jpeg(800, 600, frameMarker), ImageFormat.Jpeg, 800, 600);

    [Theory]
    [InlineData(0xC4)] // DHT
    [InlineData(0xC8)] // JPG
    [InlineData(0xCC)] // DAC
    public void Jpeg_markers_among_the_SOF_codes_that_are_not_frame_headers_are_skipped(byte marker)
    {
        // Read as a frame header, this segment would say 999x999.
        byte[] decoy = TestImages.JpegSegment(marker, [8, 0x03, 0xE7, 0x03, 0xE7, 1, 1, 0x11, 0]);

        AssertImage(TestImages.Jpeg(800, 600, beforeFrame: decoy), ImageFormat.Jpeg, 800, 600);
    }

    [Fact]
    public void Jpeg_fill_bytes_before_a_marker_are_skipped() =>
        AssertImage(TestImages.Jpeg(32, 16, beforeFrame: [0xFF, 0xFF, 0xFF]), ImageFormat.Jpeg, 32, 16);

    [Fact]
    public void Jpeg_standalone_markers_have_no_length_field()
    {
        byte[] rstTemSoi = [0xFF, 0xD0, 0xFF, 0xD7, 0xFF, 0x01, 0xFF, 0xD8];

        AssertImage(TestImages.Jpeg(32, 16, beforeFrame: rstTemSoi), ImageFormat.Jpeg, 32, 16);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(550, 368)]
    [InlineData(16383, 16383)]
    public void WebP_lossy_dimensions_come_from_the_VP8_frame_header(int width, int height) =>
        AssertImage(TestImages.WebPLossy(width, height), ImageFormat.WebP, width, height);

    [Fact]
    public void WebP_lossy_scaling_bits_are_not_part_of_the_dimensions() =>
        AssertImage(TestImages.WebPLossy(550, 368, scaleBits: 3), ImageFormat.WebP, 550, 368);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(400, 301)]
    [InlineData(16384, 16384)]
    public void WebP_lossless_dimensions_come_from_the_VP8L_header(int width, int height) =>
        AssertImage(TestImages.WebPLossless(width, height), ImageFormat.WebP, width, height);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1024, 768)]
    [InlineData(16777216, 16777216)]
    public void WebP_extended_dimensions_are_the_VP8X_canvas(int width, int height) =>
        AssertImage(TestImages.WebPExtended(width, height), ImageFormat.WebP, width, height);

    [Fact]
    public void The_format_comes_from_the_content_whatever_the_content_mentions()
    {
        // Another format's magic bytes inside a JPEG segment do not matter; only the start of the file does.
        byte[] claims = TestImages.JpegSegment(0xFE, [.. "\u0089PNG RIFF WEBP image/png"u8]);

        AssertImage(TestImages.Jpeg(10, 20, beforeFrame: claims), ImageFormat.Jpeg, 10, 20);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { (byte)'G', (byte)'I', (byte)'F', (byte)'8', (byte)'9', (byte)'a', 1, 0, 1, 0 })]
    [InlineData(new byte[] { (byte)'B', (byte)'M', 0, 0, 0, 0 })]
    [InlineData(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' })]
    [InlineData(new byte[] { 0xFF, 0xD8 })]
    [InlineData(new byte[] { (byte)'R', (byte)'I', (byte)'F', (byte)'F', 4, 0, 0, 0, (byte)'W', (byte)'A', (byte)'V', (byte)'E' })]
    [InlineData(new byte[] { (byte)'<', (byte)'s', (byte)'v', (byte)'g', (byte)'>' })]
    public void Other_formats_and_bare_magic_prefixes_are_not_images(byte[] bytes) =>
        AssertError(bytes, "not a PNG, JPEG or WebP image");

    [Fact]
    public void Png_without_IEND_at_the_end_is_truncated()
    {
        byte[] png = TestImages.Png(4, 4);

        AssertError(png[..^12], "truncated PNG: no IEND chunk at the end");
        AssertError(png[..^1], "truncated PNG: no IEND chunk at the end");
        AssertError([.. png, 0], "truncated PNG: no IEND chunk at the end");
    }

    [Fact]
    public void Png_ending_inside_the_header_is_truncated() =>
        AssertError(TestImages.Png(4, 4)[..20], "truncated PNG: the file ends inside the IHDR header");

    [Fact]
    public void Png_whose_first_chunk_is_not_IHDR_is_corrupt()
    {
        byte[] png = TestImages.Png(4, 4);
        png[12] = (byte)'X';

        AssertError(png, "corrupt PNG header: the first chunk is not a 13-byte IHDR chunk");
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(5, 0)]
    [InlineData(-1, 5)] // 0xFFFFFFFF, beyond the 2^31-1 that PNG allows
    public void Png_with_a_zero_or_out_of_range_dimension_is_corrupt(int width, int height) =>
        AssertErrorStartsWith(TestImages.PngClaiming(width, height), "corrupt PNG header: width and height must be 1 to");

    [Fact]
    public void Jpeg_without_EOI_at_the_end_is_truncated()
    {
        byte[] jpeg = TestImages.Jpeg(8, 8);

        AssertError(jpeg[..^2], "truncated JPEG: no EOI marker (FFD9) at the end");
        AssertError(jpeg[..^1], "truncated JPEG: no EOI marker (FFD9) at the end");
    }

    [Fact]
    public void Jpeg_ending_before_the_frame_header_is_truncated() =>
        AssertError(TestImages.Jpeg(8, 8)[..20], "truncated JPEG: the file ends before the frame header (SOF)");

    [Fact]
    public void Jpeg_with_a_scan_before_any_frame_header_is_corrupt()
    {
        byte[] scan = TestImages.JpegSegment(0xDA, [1, 1, 0, 0, 0x3F, 0]);

        AssertError(TestImages.Jpeg(8, 8, beforeFrame: scan), "corrupt JPEG header: marker FFDA before the frame header (SOF)");
    }

    [Fact]
    public void Jpeg_with_data_where_a_marker_belongs_is_corrupt() =>
        AssertError(TestImages.Jpeg(8, 8, beforeFrame: [0x00]), "corrupt JPEG header: expected a marker at byte 20");

    [Fact]
    public void Jpeg_segment_length_below_two_is_corrupt() =>
        AssertError(TestImages.Jpeg(8, 8, beforeFrame: [0xFF, 0xE1, 0x00, 0x01]), "corrupt JPEG header: segment FFE1 has length 1");

    [Fact]
    public void Jpeg_with_zero_height_is_not_supported() =>
        AssertError(TestImages.Jpeg(8, 0), "corrupt JPEG header: width and height must not be 0 (got 8x0)");

    [Fact]
    public void WebP_shorter_than_its_RIFF_size_is_truncated()
    {
        byte[] webp = TestImages.WebPLossy(8, 8);

        AssertErrorStartsWith(webp[..^1], "truncated WebP: the RIFF header says");
    }

    [Fact]
    public void WebP_longer_than_its_RIFF_size_is_corrupt_beyond_one_pad_byte()
    {
        byte[] webp = TestImages.WebPLossy(8, 8);

        AssertImage([.. webp, 0], ImageFormat.WebP, 8, 8);
        AssertErrorStartsWith([.. webp, 0, 0], "corrupt WebP: the RIFF header says");
    }

    [Fact]
    public void WebP_whose_first_chunk_is_larger_than_the_file_is_truncated()
    {
        byte[] webp = TestImages.WebPLossy(8, 8);
        webp[16] = 0xFF;

        AssertError(webp, "truncated WebP: the first chunk is larger than the file");
    }

    [Fact]
    public void WebP_with_an_unknown_first_chunk_is_corrupt() =>
        AssertError(TestImages.Riff(("ALPH", new byte[10])), "corrupt WebP header: unknown first chunk 'ALPH'");

    [Fact]
    public void WebP_lossy_that_is_not_a_key_frame_is_corrupt()
    {
        byte[] webp = TestImages.WebPLossy(8, 8);
        webp[20] |= 1;

        AssertError(webp, "corrupt WebP header: VP8 data does not start with a key frame");
    }

    [Fact]
    public void WebP_lossless_with_a_wrong_signature_is_corrupt()
    {
        byte[] webp = TestImages.WebPLossless(8, 8);
        webp[20] = 0x2E;

        AssertError(webp, "corrupt WebP header: VP8L signature or version is wrong");
    }

    [Fact]
    public void WebP_chunks_too_short_for_their_header_are_corrupt()
    {
        AssertError(TestImages.Riff(("VP8 ", new byte[9])), "corrupt WebP header: the VP8 chunk is too short for a frame header");
        AssertError(TestImages.Riff(("VP8L", new byte[4])), "corrupt WebP header: the VP8L chunk is too short for its header");
        AssertError(TestImages.Riff(("VP8X", new byte[9])), "corrupt WebP header: the VP8X chunk is too short for its header");
    }

    private static void AssertImage(byte[] bytes, ImageFormat format, int width, int height)
    {
        var inspection = ImageInspector.Inspect(bytes);

        Assert.True(inspection.IsValid, inspection.Error);
        Assert.Equal(new ImageInfo(format, width, height), inspection.Info);
    }

    private static void AssertError(byte[] bytes, string error)
    {
        var inspection = ImageInspector.Inspect(bytes);

        Assert.False(inspection.IsValid);
        Assert.Equal(error, inspection.Error);
    }

    private static void AssertErrorStartsWith(byte[] bytes, string error)
    {
        var inspection = ImageInspector.Inspect(bytes);

        Assert.False(inspection.IsValid);
        Assert.StartsWith(error, inspection.Error);
    }
}
