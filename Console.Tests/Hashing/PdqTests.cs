using ModerationConsole.Tests.Infrastructure;
using ModerationConsole.Hashing;
using SkiaSharp;

namespace ModerationConsole.Tests.Hashing;

/// <summary>The PDQ properties a block bank relies on: edited copies stay close, different pictures stay far apart.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class PdqTests
{
    /// <summary>PDQ's authors call two hashes a match at distance ≤ 31 (of 256); the console's default too.</summary>
    private const int SmallDistance = 31;

    private static PdqResult Hash(byte[] encoded) => ImageFingerprint.TryHash(encoded) ?? throw new InvalidOperationException("did not decode");

    public static TheoryData<string> Edits => ["half size", "double size", "jpeg quality 50", "crop 1% per side", "crop and jpeg", "webp"];

    [Theory]
    [MemberData(nameof(Edits))]
    public void An_edited_copy_stays_within_a_small_distance_of_the_original(string edit)
    {
        for (var seed = 1; seed <= 8; seed++)
        {
            using var original = TestPictures.Draw(seed);
            var before = Hash(TestPictures.Png(original));
            var after = Hash(Edit(original, edit));
            Assert.True(before.Hash.DistanceTo(after.Hash) <= SmallDistance,
                $"seed {seed}, {edit}: distance {before.Hash.DistanceTo(after.Hash)}");
        }
    }

    [Fact]
    public void Different_pictures_are_far_apart()
    {
        var hashes = Enumerable.Range(100, 12).Select(seed =>
        {
            using var picture = TestPictures.Draw(seed);
            return Hash(TestPictures.Png(picture)).Hash;
        }).ToList();
        for (var a = 0; a < hashes.Count; a++)
            for (var b = a + 1; b < hashes.Count; b++)
                Assert.True(hashes[a].DistanceTo(hashes[b]) > 64, $"pictures {a} and {b}: distance {hashes[a].DistanceTo(hashes[b])}");
    }

    [Fact]
    public void Half_the_bits_are_set_because_each_bit_says_above_or_below_the_median()
    {
        using var picture = TestPictures.Draw(7);
        var hash = Hash(TestPictures.Png(picture)).Hash;
        Assert.Equal(128, Enumerable.Range(0, 256).Count(k => hash[k]));
    }

    [Fact]
    public void A_flat_picture_has_no_quality_and_a_busy_one_has_plenty()
    {
        using var flat = new SKBitmap(new SKImageInfo(300, 200, SKColorType.Rgba8888, SKAlphaType.Premul));
        flat.Erase(new SKColor(90, 120, 200));
        using var busy = TestPictures.Draw(3);
        Assert.Equal(0, Hash(TestPictures.Png(flat)).Quality);
        Assert.True(Hash(TestPictures.Png(busy)).Quality >= 50);
    }

    /// <summary>
    /// On a 64×64 input PDQ skips the blur, so the hash must equal a direct evaluation of the definition: the 2-D
    /// DCT-II coefficients (u, v) for u, v in 1..16, one bit each, set when above the 128th smallest.
    /// </summary>
    [Fact]
    public void On_a_64_by_64_image_the_bits_are_the_dct_coefficients_above_their_median()
    {
        var random = new Random(11);
        var luma = new float[64 * 64];
        for (var i = 0; i < luma.Length; i++) luma[i] = (float)(127 + 60 * Math.Sin(i % 64 / 5.0) * Math.Cos(i / 64 / 7.0) + random.Next(-20, 20));

        var expected = new double[256];
        for (var u = 0; u < 16; u++)
            for (var v = 0; v < 16; v++)
            {
                var sum = 0.0;
                for (var y = 0; y < 64; y++)
                    for (var x = 0; x < 64; x++)
                        sum += luma[y * 64 + x] * Math.Cos(Math.PI * (u + 1) * (2 * y + 1) / 128) * Math.Cos(Math.PI * (v + 1) * (2 * x + 1) / 128);
                expected[u * 16 + v] = sum * (2.0 / 64);
            }
        var median = expected.Order().ElementAt(127);

        var hash = Pdq.FromLuma((float[])luma.Clone(), 64, 64).Hash;
        for (var k = 0; k < 256; k++)
            Assert.True(hash[k] == expected[k] > median, $"bit {k}");
    }

    [Fact]
    public void The_text_form_is_the_reference_one_bit_0_last_and_bit_255_first()
    {
        Span<bool> bits = stackalloc bool[256];
        bits[0] = true;
        bits[255] = true;
        var hash = PdqHash.FromBits(bits);
        Assert.Equal("8" + new string('0', 62) + "1", hash.ToString());
        Assert.Equal(hash, PdqHash.Parse(hash.ToString()));
        Assert.Equal(hash, PdqHash.FromBitString(hash.ToBitString()));
        Assert.True(hash.ToBitString()[0]);
        Assert.False(PdqHash.TryParse("xyz", out _));
        Assert.False(PdqHash.TryParse(new string('g', 64), out _));
    }

    [Fact]
    public void Band_probes_cover_every_hash_within_the_pigeonhole_radius()
    {
        var random = new Random(5);
        var hash = new PdqHash((ulong)random.NextInt64(), (ulong)random.NextInt64(), (ulong)random.NextInt64(), (ulong)random.NextInt64());
        var probes = hash.BandProbes(radius: 1).ToHashSet();
        Assert.Equal(16 * 17, probes.Count);
        for (var trial = 0; trial < 200; trial++)
        {
            // 31 flipped bits spread anyhow: some band keeps at most one of them.
            var near = hash;
            foreach (var bit in Enumerable.Range(0, 256).OrderBy(_ => random.Next()).Take(31)) near = near.FlipBit(bit);
            Assert.Contains(near.BandKeys(), probes.Contains);
        }
    }

    [Theory]
    [InlineData(148, 148, 2)]
    [InlineData(37, 53, 1)]
    [InlineData(512, 300, 4)]
    [InlineData(5, 9, 3)]
    public void The_column_blur_run_a_row_at_a_time_gives_exactly_the_per_column_result(int height, int width, int window)
    {
        var image = RandomLuma(seed: height * 1000 + width, height * width);
        var perColumn = new float[image.Length];
        var allColumns = new float[image.Length];

        for (var column = 0; column < width; column++) Box(image, perColumn, column, width, height, window);
        Pdq.BoxColumns(image, allColumns, height, width, window);

        Assert.Equal(perColumn, allColumns); // bit for bit: hashes must not depend on which path ran
    }

    [Theory]
    [InlineData(148, 2)]
    [InlineData(53, 1)]
    [InlineData(9, 3)]
    [InlineData(3, 4)]
    [InlineData(1, 2)]
    public void The_row_blur_gives_exactly_the_general_moving_average(int width, int window)
    {
        var image = RandomLuma(seed: width * 10 + window, 3 * width);
        var general = new float[image.Length];
        var row = new float[image.Length];

        Box(image, general, width, 1, width, window); // the middle row, so a slip past either end would show
        Pdq.BoxRow(image, row, width, width, window);

        Assert.Equal(general, row);
    }

    [Theory]
    [InlineData(148, 148, 2)]
    [InlineData(7, 53, 1)]
    [InlineData(9, 9, 3)]
    [InlineData(5, 3, 4)]
    [InlineData(3, 2, 2)]
    [InlineData(4, 1, 2)]
    public void Rows_blurred_four_at_a_time_give_exactly_the_one_row_result(int height, int width, int window)
    {
        var image = RandomLuma(seed: height * 100 + width, height * width);
        var oneByOne = new float[image.Length];
        var fourAtATime = new float[image.Length];

        for (var row = 0; row < height; row++) Pdq.BoxRow(image, oneByOne, row * width, width, window);
        Pdq.BoxRows(image, fourAtATime, height, width, window);

        Assert.Equal(oneByOne, fourAtATime);
    }

    [Theory]
    [InlineData(37)]
    [InlineData(148 * 148)]
    public void Luminance_is_exactly_the_scalar_weighted_sum_of_each_pixel(int pixels)
    {
        var rgba = new byte[4 * pixels];
        new Random(pixels).NextBytes(rgba);
        var expected = new float[pixels];
        for (var p = 0; p < pixels; p++)
        {
            float red = rgba[4 * p], green = rgba[4 * p + 1], blue = rgba[4 * p + 2];
            expected[p] = 0.299f * red + 0.587f * green + 0.114f * blue;
        }
        var luma = new float[pixels];

        Pdq.Luma(rgba, luma);

        Assert.Equal(expected, luma); // bit for bit, alpha ignored
    }

    /// <summary>Luminance samples (0–255) that are the same for the same seed.</summary>
    private static float[] RandomLuma(int seed, int count)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 255)).ToArray();
    }

    [Fact]
    public void Quality_and_the_dct_give_exactly_the_scalar_definitions()
    {
        var small = RandomLuma(seed: 3, 64 * 64);

        Assert.Equal(Math.Min(ScalarSteps(small) / 90, 100), Pdq.Quality(small));
        var dim = small.Select(v => v / 40).ToArray(); // below the cap of 100, so the sum itself is compared
        Assert.InRange(ScalarSteps(dim) / 90, 1, 99);
        Assert.Equal(ScalarSteps(dim) / 90, Pdq.Quality(dim));

        var basis = new float[16 * 64];
        for (var i = 0; i < 16; i++)
            for (var j = 0; j < 64; j++)
                basis[i * 64 + j] = (float)(Math.Sqrt(2.0 / 64) * Math.Cos(Math.PI / 2 / 64 * (i + 1) * (2 * j + 1)));
        var partial = new float[16 * 64];
        for (var i = 0; i < 16; i++)
            for (var j = 0; j < 64; j++)
            {
                var sum = 0f;
                for (var k = 0; k < 64; k++) sum += basis[i * 64 + k] * small[k * 64 + j];
                partial[i * 64 + j] = sum;
            }
        var expected = new float[256];
        for (var i = 0; i < 16; i++)
            for (var j = 0; j < 16; j++)
            {
                var sum = 0f;
                for (var k = 0; k < 64; k++) sum += partial[i * 64 + k] * basis[j * 64 + k];
                expected[i * 16 + j] = sum;
            }
        Assert.Equal(expected, Pdq.Dct16(small)); // bit for bit

        static int ScalarSteps(float[] small)
        {
            var steps = 0;
            for (var i = 0; i < 63; i++)
                for (var j = 0; j < 64; j++)
                    steps += Math.Abs((int)((small[i * 64 + j] - small[(i + 1) * 64 + j]) * 100 / 255));
            for (var i = 0; i < 64; i++)
                for (var j = 0; j < 63; j++)
                    steps += Math.Abs((int)((small[i * 64 + j] - small[i * 64 + j + 1]) * 100 / 255));
            return steps;
        }
    }

    /// <summary>
    /// Hashes pinned on every path (odd sizes, the ingest benchmark's noisy photos, pictures hashed at full size up to
    /// 2048 px): a faster kernel must give the same bits and quality, or a hash banked before an upgrade would stop
    /// matching the same picture after it. The small ones date from the straightforward scalar kernels.
    /// </summary>
    [Fact]
    public void Hashes_are_bit_for_bit_those_of_the_reference_kernels()
    {
        var pictures = new (string Name, byte[] Png)[]
        {
            ("drawn 640x480", TestPictures.Png(TestPictures.Draw(1))),
            ("drawn 37x53", TestPictures.Png(TestPictures.Draw(2, 37, 53))),
            ("drawn 1000x700", TestPictures.Png(TestPictures.Draw(3, 1000, 700))),
            ("drawn 64x64", TestPictures.Png(TestPictures.Draw(4, 64, 64))),
            ("drawn 129x7", TestPictures.Png(TestPictures.Draw(5, 129, 7))),
            ("noisy 148x148", ModerationConsole.Simulate.SyntheticImages.NoisyPng(148, 148, 42)),
            ("noisy 300x201", ModerationConsole.Simulate.SyntheticImages.NoisyPng(300, 201, 7)),
            ("drawn 1024x1024", TestPictures.Png(TestPictures.Draw(6, 1024, 1024))),
            ("noisy 2048x1024", ModerationConsole.Simulate.SyntheticImages.NoisyPng(2048, 1024, 8)),
        };
        var actual = string.Join("\n", pictures.Select(p => ImageFingerprint.TryHash(p.Png) is { } r ? $"{p.Name}: {r.Hash} q{r.Quality}" : $"{p.Name}: none"));
        Assert.Equal(RecordedHashes, actual);
    }

    private const string RecordedHashes =
        """
        drawn 640x480: 8ae67ce02fd53bd1e83cad152a15d1c7e247ab151ca12fc116bec43ed42af047 q100
        drawn 37x53: 3ecee4f3e1695b0c1cc6f273c3683c871c96c358e2390cf23b0dd31824f33c37 q45
        drawn 1000x700: 7276d89c893ac6647293b369d89693b46f6b909463481b6876967b678c9964d3 q100
        drawn 64x64: 42dca4d29d0775ed25bdbe09aabdaaf89503555c41704a0bdb6924f2a61673ad q100
        drawn 129x7: 2ccdc9a4d33326dbd3362ccdd9b626c9d232cde42dcdd1362649d3322ccdc924 q73
        noisy 148x148: 5b7dd38eb0932d230b2c4bccd2d1f4b2ad252d2d6b4b7ad252f414b485a98d2b q100
        noisy 300x201: 7f803ff01fc07f800fe00fc00fc0c3e183e0e3f0e0f8e1f0f87c787c787c8f0f q100
        drawn 1024x1024: 979b10dedec6862ef2191cf8c0c9ceee360333193869ed68694d7b189e739243 q100
        noisy 2048x1024: 1e319f1ee20111e69e21ee1fe1de19e1ce11cf9e61011de2e619e70e11feee21 q51
        """;

    /// <summary>
    /// The blur's definition, one row or column at a time (stride apart): a moving average over <paramref name="window"/> samples of one row or column (⌈window/2⌉ − 1 ahead, the rest
    /// behind), shrinking at the ends to what lies inside the image; one pass with a running sum.
    /// </summary>
    private static void Box(float[] input, float[] output, int start, int stride, int length, int window)
    {
        var ahead = (window + 2) / 2 - 1;
        var behind = window - 1 - ahead;
        var sum = 0f;
        int low = 0, high = -1; // the window is [low, high]
        for (var k = 0; k < length; k++)
        {
            for (var wantHigh = Math.Min(length - 1, k + ahead); high < wantHigh;) sum += input[start + ++high * stride];
            for (var wantLow = Math.Max(0, k - behind); low < wantLow; low++) sum -= input[start + low * stride];
            output[start + k * stride] = sum / (high - low + 1);
        }
    }

    [Fact]
    public void Truncated_image_bytes_do_not_hash()
    {
        using var picture = TestPictures.Draw(9);
        var png = TestPictures.Png(picture);
        Assert.Null(ImageFingerprint.TryHash(png[..(png.Length / 2)]));
        Assert.Null(ImageFingerprint.TryHash("not an image"u8.ToArray()));
    }

    private static byte[] Edit(SKBitmap original, string edit)
    {
        switch (edit)
        {
            case "half size": { using var small = TestPictures.Resize(original, 0.5); return TestPictures.Png(small); }
            case "double size": { using var large = TestPictures.Resize(original, 2); return TestPictures.Png(large); }
            case "jpeg quality 50": return TestPictures.Jpeg(original, 50);
            case "crop 1% per side": { using var cropped = TestPictures.Crop(original, 0.01); return TestPictures.Png(cropped); }
            case "crop and jpeg": { using var cropped = TestPictures.Crop(original, 0.01); return TestPictures.Jpeg(cropped, 70); }
            case "webp":
            {
                using var image = SKImage.FromBitmap(original);
                using var data = image.Encode(SKEncodedImageFormat.Webp, 75);
                return data.ToArray();
            }
            default: throw new ArgumentOutOfRangeException(nameof(edit));
        }
    }
}
