using ModerationConsole.Tests.Infrastructure;
using System.Buffers.Binary;
using ModerationConsole.Hashing;
using ModerationConsole.Imaging;
using SkiaSharp;

namespace ModerationConsole.Tests.Imaging;

/// <summary>
/// The managed PNG decoder gives exactly the pixels Skia gives, for every colour type and filter it accepts, and
/// declines — leaving the verdict to Skia — every file it is not sure of.
/// </summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class ManagedPngTests
{
    private static byte[]? Managed(byte[] png)
    {
        if (!ManagedPng.TryReadLayout(png, out var layout)) return null;
        var rgba = new byte[layout.Width * layout.Height * 4];
        return ManagedPng.TryDecode(png, layout, rgba, layout.Width * 4) ? rgba : null;
    }

    private static byte[] Skia(byte[] png)
    {
        using var bitmap = RgbaBitmap.DecodeWithSkia(png)!;
        return bitmap.GetPixelSpan().ToArray();
    }

    public static TheoryData<int, int> ChannelsAndFilters()
    {
        var data = new TheoryData<int, int>();
        foreach (var channels in new[] { 1, 2, 3, 4 })
            foreach (var filter in new[] { 0, 1, 2, 3, 4, -1 }) // -1: a different filter on each row, as real encoders choose
                data.Add(channels, filter);
        return data;
    }

    [Theory]
    [MemberData(nameof(ChannelsAndFilters))]
    public void Every_colour_type_and_filter_decodes_to_the_source_pixels_exactly_as_Skia_decodes_them(int channels, int filter)
    {
        var builder = new PngBuilder(37, 23, channels) { Filter = y => (byte)(filter >= 0 ? filter : y % 5) };
        var png = builder.Build();

        var managed = Managed(png);

        Assert.NotNull(managed);
        Assert.Equal(builder.ExpectedRgba(), managed);
        Assert.Equal(Skia(png), managed);
    }

    [Fact]
    public void Image_data_split_over_many_chunks_with_text_chunks_before_it_decodes()
    {
        var builder = new PngBuilder(300, 41, 3)
        {
            Filter = y => (byte)(y % 5),
            IdatSize = 97,
            ChunksBefore = [("tEXt", "parameters\0a cat, 20 steps"u8.ToArray()), ("pHYs", new byte[9])],
        };
        var png = builder.Build();

        Assert.Equal(builder.ExpectedRgba(), Managed(png));
        Assert.Equal(Skia(png), Managed(png));
    }

    [Fact]
    public void Rows_wider_than_the_destination_row_are_written_at_its_stride()
    {
        var builder = new PngBuilder(5, 4, 4) { Filter = y => 2 };
        var png = builder.Build();
        Assert.True(ManagedPng.TryReadLayout(png, out var layout));
        var rgba = new byte[32 * 4];

        Assert.True(ManagedPng.TryDecode(png, layout, rgba, rowBytes: 32));

        var expected = builder.ExpectedRgba();
        for (var y = 0; y < 4; y++) Assert.Equal(expected.AsSpan(y * 20, 20), rgba.AsSpan(y * 32, 20));
    }

    public static TheoryData<string, byte[]> FilesItDeclines() => new()
    {
        { "palette", new PngBuilder(8, 8, 1) { ColourType = 3, ChunksBefore = [("PLTE", new byte[768])] }.Build() },
        { "16-bit", new PngBuilder(8, 8, 6) { BitDepth = 16 }.Build() },
        { "interlaced", new PngBuilder(8, 8, 3) { Interlace = 1 }.Build() },
        { "transparency chunk", new PngBuilder(8, 8, 3) { ChunksBefore = [("tRNS", new byte[6])] }.Build() },
        { "gamma chunk", new PngBuilder(8, 8, 3) { ChunksBefore = [("gAMA", [0, 0, 0xB1, 0x8F])] }.Build() },
        { "unknown chunk", new PngBuilder(8, 8, 3) { ChunksBefore = [("abCd", [1])] }.Build() },
        { "unknown filter", new PngBuilder(8, 8, 3) { Filter = y => (byte)(y == 5 ? 5 : 0) }.Build() },
        { "too little image data", new PngBuilder(8, 8, 3) { MissingRows = 1 }.Build() },
        { "too much image data", new PngBuilder(8, 8, 3) { ExtraImageBytes = 25 }.Build() },
        { "bad CRC", Spoil(new PngBuilder(8, 8, 3).Build(), png => png[^14] ^= 1) },
        { "corrupt deflate data", CorruptImageData(new PngBuilder(64, 64, 3).Build()) },
        { "no IEND", new PngBuilder(8, 8, 3).Build()[..^12] },
        { "bytes after IEND", [.. new PngBuilder(8, 8, 3).Build(), 0] },
        { "not a PNG", "GIF89a not a png at all, not at all"u8.ToArray() },
    };

    [Theory]
    [MemberData(nameof(FilesItDeclines))]
    public void Files_it_is_not_sure_of_are_left_to_Skia(string why, byte[] png)
    {
        Assert.True(Managed(png) is null, why);
    }

    [Fact]
    public void A_declined_file_still_gets_Skias_verdict_in_the_fingerprint()
    {
        var palette = new byte[768];
        for (var i = 0; i < 256; i++) (palette[3 * i], palette[3 * i + 1], palette[3 * i + 2]) = ((byte)i, (byte)(255 - i), (byte)(i / 2));
        var paletted = new PngBuilder(40, 30, 1) { ColourType = 3, ChunksBefore = [("PLTE", palette)] }.Build();
        Assert.Null(Managed(paletted));

        Assert.NotNull(ImageFingerprint.TryHash(paletted));
        Assert.Null(ImageFingerprint.TryHash(CorruptImageData(new PngBuilder(64, 64, 3).Build())));
    }

    private static byte[] Spoil(byte[] png, Action<byte[]> change)
    {
        change(png);
        return png;
    }

    /// <summary>Flips bytes in the middle of the compressed data and fixes the chunk's CRC, so only the stream is wrong.</summary>
    private static byte[] CorruptImageData(byte[] png)
    {
        var idat = png.AsSpan().IndexOf("IDAT"u8);
        var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(idat - 4));
        for (var i = length / 3; i < length / 3 + 16; i++) png[idat + 4 + i] ^= 0xA5;
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(idat + 4 + length), System.IO.Hashing.Crc32.HashToUInt32(png.AsSpan(idat, 4 + length)));
        return png;
    }
}
