using ModerationConsole.Tests.Infrastructure;
using System.Buffers.Binary;
using ModerationConsole.Ingest.Validation;
using Xunit;

namespace ModerationConsole.Tests.Ingest;

/// <summary>The inspector is fed arbitrary bytes from producers: whatever they are, it answers and never throws.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public class ImageInspectorRobustnessTests
{
    private const int Seed = 20240501;

    public static TheoryData<string, byte[]> ValidImages => new()
    {
        { "png", TestImages.Png(7, 3) },
        { "jpeg", TestImages.Jpeg(7, 3, beforeFrame: [0xFF, 0xFF, 0xD0]) },
        { "webp lossy", TestImages.WebPLossy(7, 3) },
        { "webp lossless", TestImages.WebPLossless(7, 3) },
        { "webp extended", TestImages.WebPExtended(7, 3) },
    };

    [Theory]
    [MemberData(nameof(ValidImages))]
    public void Every_proper_prefix_of_a_valid_image_is_rejected(string name, byte[] image)
    {
        Assert.True(ImageInspector.Inspect(image).IsValid, name);
        for (int length = 0; length < image.Length; length++)
        {
            var inspection = ImageInspector.Inspect(image.AsSpan(0, length));

            Assert.False(inspection.IsValid, $"{name} cut to {length} of {image.Length} bytes was accepted");
            Assert.False(string.IsNullOrEmpty(inspection.Error));
        }
    }

    [Theory]
    [MemberData(nameof(ValidImages))]
    public void Randomly_damaged_images_never_throw(string name, byte[] image)
    {
        var random = new Random(Seed);
        for (int i = 0; i < 2000; i++)
        {
            byte[] damaged = image[..random.Next(image.Length + 1)];
            for (int flips = random.Next(1, 5); flips > 0 && damaged.Length > 0; flips--)
            {
                damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            }

            AssertAnswers(damaged, name);
        }
    }

    [Fact]
    public void Random_bytes_never_throw_even_behind_a_valid_magic_prefix()
    {
        byte[][] prefixes =
        [
            [],
            [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A],
            [0xFF, 0xD8, 0xFF],
            [.. "RIFF"u8, 0xFF, 0xFF, 0xFF, 0xFF, .. "WEBP"u8],
            [.. "RIFF"u8, 0, 0, 0, 0, .. "WEBPVP8 "u8],
            [.. "RIFF"u8, 0, 0, 0, 0, .. "WEBPVP8L"u8],
            [.. "RIFF"u8, 0, 0, 0, 0, .. "WEBPVP8X"u8],
        ];
        var random = new Random(Seed);
        for (int i = 0; i < 5000; i++)
        {
            byte[] prefix = prefixes[i % prefixes.Length];
            byte[] tail = new byte[random.Next(64)];
            random.NextBytes(tail);
            byte[] bytes = [.. prefix, .. tail];
            if (prefix.Length >= 12 && random.Next(2) == 0)
            {
                // A RIFF size that matches the length, so the chunk parsers behind that check are reached too.
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)(bytes.Length - 8));
            }

            AssertAnswers(bytes, "random");
        }
    }

    private static void AssertAnswers(byte[] bytes, string name)
    {
        var inspection = ImageInspector.Inspect(bytes);

        Assert.True(inspection.IsValid || !string.IsNullOrEmpty(inspection.Error), $"{name}: neither image nor error");
    }
}
