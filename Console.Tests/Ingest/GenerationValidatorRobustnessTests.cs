using ModerationConsole.Tests.Infrastructure;
using ModerationConsole.Ingest;
using ModerationConsole.Ingest.Validation;
using Xunit;

namespace ModerationConsole.Tests.Ingest;

/// <summary>Whatever a producer sends, validation answers with a generation or with errors, and never throws.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public class GenerationValidatorRobustnessTests
{
    private const int Seed = 20240501;
    private readonly GenerationValidator _validator = new(new IngestOptions { MaxImageBytes = 1024, MaxImageDimension = 64 });

    [Fact]
    public void Random_items_never_throw()
    {
        var random = new Random(Seed);
        byte[][] images = [TestImages.Png(5, 5), TestImages.Jpeg(5, 5), TestImages.WebPLossy(5, 5), TestImages.WebPExtended(5, 5)];
        for (int i = 0; i < 2000; i++)
        {
            var item = new FlaggedGeneration
            {
                GenerationId = RandomText(random, 130),
                UserId = RandomText(random, 130),
                Prompt = RandomText(random, 300),
                NegativePrompt = RandomText(random, 30),
                Model = RandomText(random, 30),
                CreatedAt = random.Next(3) == 0 ? "2024-05-01T12:30:00Z" : RandomText(random, 30),
                Image = RandomImage(random, images),
                Scores = new() { [RandomText(random, 8) ?? "k"] = random.NextDouble() * 2 - 0.5 },
                Jurisdiction = RandomText(random, 3),
                UserTier = RandomText(random, 34),
                Metadata = new() { [RandomText(random, 8) ?? "k"] = RandomText(random, 20) ?? "" },
            };

            var result = _validator.Validate(item);

            Assert.True(result.IsValid != (result.Errors.Count > 0));
        }
    }

    // Mostly ASCII, with a fair share of control characters, surrogates and other code units; sometimes null.
    private static string? RandomText(Random random, int maxLength)
    {
        if (random.Next(8) == 0)
        {
            return null;
        }
        var chars = new char[random.Next(maxLength + 1)];
        for (int i = 0; i < chars.Length; i++)
        {
            chars[i] = random.Next(10) switch
            {
                0 => (char)random.Next(0x20),
                1 => (char)random.Next(0xD800, 0xE000),
                2 => (char)random.Next(0x10000),
                _ => (char)random.Next('a', 'z' + 1),
            };
        }
        return new string(chars);
    }

    private static string? RandomImage(Random random, byte[][] images)
    {
        byte[] image = images[random.Next(images.Length)];
        return random.Next(4) switch
        {
            0 => RandomText(random, 2000),
            1 => Convert.ToBase64String(image),
            2 => Convert.ToBase64String(image[..random.Next(image.Length)]),
            _ => Convert.ToBase64String(image)[..random.Next(1, 4 * ((image.Length + 2) / 3))],
        };
    }
}
