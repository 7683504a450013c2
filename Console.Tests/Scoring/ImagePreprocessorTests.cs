using ModerationConsole.Tests.Infrastructure;
using ModerationConsole.Scoring.Images;
using ModerationConsole.Scoring.Manifest;

namespace ModerationConsole.Tests.Scoring;

/// <summary>Preprocessing checked pixel by pixel on generated PNGs whose every value is known.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class ImagePreprocessorTests
{
    private static ImageInput Input(int width, int height, string layout = "NCHW", string resize = "stretch", string sampler = "bilinear") => new()
    {
        Input = "pixels", Width = width, Height = height, Layout = layout, Resize = resize, Sampler = sampler,
        Mean = ScoringTestModels.ImageNetMean, Std = ScoringTestModels.ImageNetStd,
    };

    /// <summary>The byte a normalised value came from: exact when preprocessing moved the right pixel to the right place.</summary>
    private static int Byte(float value, int channel) =>
        (int)Math.Round((value * ScoringTestModels.ImageNetStd[channel] + ScoringTestModels.ImageNetMean[channel]) * 255);

    private static float[] Preprocess(ImageInput input, byte[] png)
    {
        var preprocessor = new ImagePreprocessor(input);
        var output = new float[preprocessor.ItemLength];
        Assert.True(preprocessor.TryWrite(png, output));
        return output;
    }

    [Fact]
    public void An_image_of_the_target_size_becomes_its_exact_pixels_normalised_in_NCHW()
    {
        const int w = 5, h = 3;
        var output = Preprocess(Input(w, h), ScoringTestModels.RgbPng(w, h, ScoringTestModels.Pattern));

        for (var y = 0; y < h; y++)
        for (var x = 0; x < w; x++)
        {
            var (r, g, b) = ScoringTestModels.Pattern(x, y);
            byte[] expected = [r, g, b];
            for (var c = 0; c < 3; c++)
            {
                var value = output[c * w * h + y * w + x];
                Assert.Equal((expected[c] / 255f - ScoringTestModels.ImageNetMean[c]) / ScoringTestModels.ImageNetStd[c], value, 5);
                Assert.Equal(expected[c], Byte(value, c));
            }
        }
    }

    [Fact]
    public void NHWC_puts_the_three_channels_of_a_pixel_side_by_side()
    {
        const int w = 4, h = 4;
        var output = Preprocess(Input(w, h, layout: "NHWC"), ScoringTestModels.RgbPng(w, h, ScoringTestModels.Pattern));

        for (var y = 0; y < h; y++)
        for (var x = 0; x < w; x++)
        {
            var (r, g, b) = ScoringTestModels.Pattern(x, y);
            Assert.Equal([r, g, b], Enumerable.Range(0, 3).Select(c => (byte)Byte(output[(y * w + x) * 3 + c], c)).ToArray());
        }
    }

    [Fact]
    public void Nearest_neighbour_thirding_keeps_the_centre_pixel_of_each_three_by_three_block()
    {
        var output = Preprocess(Input(4, 3, sampler: "nearest"), ScoringTestModels.RgbPng(12, 9, ScoringTestModels.Pattern));

        for (var y = 0; y < 3; y++)
        for (var x = 0; x < 4; x++)
        {
            // Each output pixel samples the source at its own centre, which is the centre of source pixel (3x + 1, 3y + 1).
            // (An even factor would sample exactly between two pixels: a tie the sampler may break either way.)
            var (r, _, _) = ScoringTestModels.Pattern(3 * x + 1, 3 * y + 1);
            Assert.Equal(r, Byte(output[y * 4 + x], 0));
        }
    }

    [Fact]
    public void Crop_keeps_the_centre_of_a_wider_image_without_stretching_it()
    {
        // 8×4 into 4×4: covering needs no scaling (the height fits), so the crop is columns 2 to 5, untouched.
        var output = Preprocess(Input(4, 4, resize: "crop"), ScoringTestModels.RgbPng(8, 4, ScoringTestModels.Pattern));

        for (var y = 0; y < 4; y++)
        for (var x = 0; x < 4; x++)
            Assert.Equal(ScoringTestModels.Pattern(x + 2, y).Item2, Byte(output[16 + y * 4 + x], 1));
    }

    [Fact]
    public void Resizing_a_solid_colour_gives_that_colour_everywhere()
    {
        var output = Preprocess(Input(7, 5, sampler: "bicubic"), ScoringTestModels.RgbPng(64, 48, (_, _) => (200, 100, 50)));

        Assert.All(output.Take(35), v => Assert.Equal(200, Byte(v, 0)));
        Assert.All(output.Skip(35).Take(35), v => Assert.Equal(100, Byte(v, 1)));
        Assert.All(output.Skip(70), v => Assert.Equal(50, Byte(v, 2)));
    }

    [Fact]
    public void Bytes_that_are_not_an_image_are_reported_not_thrown()
    {
        var preprocessor = new ImagePreprocessor(Input(4, 4));

        Assert.False(preprocessor.TryWrite("not an image at all"u8.ToArray(), new float[preprocessor.ItemLength]));
    }
}
