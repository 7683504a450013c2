using System.Globalization;
using ModerationConsole.Ingest;

namespace ModerationConsole.Simulate;

/// <summary>
/// Makes flagged generations that look like a real platform's: prompts in the shape abusers and ordinary users write
/// them, upstream scores spread so that most items wait for a human, some are blocked or approved automatically and a
/// few go to the escalation queue, a pool of users of which a handful are repeat offenders. Deterministic per seed.
/// </summary>
public sealed class DemoGenerations(int seed, string runId)
{
    /// <summary>Upstream score band of the scenario's main category: below review, for review, or above auto-block.</summary>
    enum Band { Low, Review, High }

    sealed record Scenario(string Category, Band Band, int Weight, string[] Prompts);

    // Prompts are written to show moderators the kind of request they judge, without being graphic themselves.
    static readonly Scenario[] Scenarios =
    [
        new("sexual", Band.Review, 14, [
            "photo of a woman in lingerie on a bed, soft light, {style}",
            "sexy beach photoshoot, topless, {style}",
            "erotic boudoir portrait, dim candle light, {style}",
        ]),
        new("sexual", Band.High, 5, ["explicit nude couple, porn style, {style}", "nsfw, fully naked model, explicit pose, {style}"]),
        new("real_person", Band.Review, 12, [
            "photo of {celebrity} at a protest holding a sign, {style}",
            "{celebrity} in handcuffs being arrested, news photo, {style}",
            "deepfake of {celebrity} endorsing a crypto coin, {style}",
        ]),
        new("real_person", Band.High, 3, ["undress {celebrity}, realistic, {style}"]),
        new("violence", Band.Review, 10, [
            "battlefield after the fight, bodies in the mud, {style}",
            "zombie attack in a shopping mall, blood on the floor, {style}",
            "medieval execution scene, crowd watching, {style}",
        ]),
        new("violence", Band.High, 3, ["close-up of a decapitated corpse, gore, {style}"]),
        new("hate", Band.Review, 6, [
            "1940s propaganda poster with nazi soldiers, {style}",
            "crowd of men with torches and flags at night, {style}",
        ]),
        new("hate", Band.High, 2, ["swastika flag over a burning synagogue, {style}"]),
        new("self_harm", Band.Review, 5, ["sad teenager on a bridge at night, rain, {style}", "scars on a forearm, moody lighting, {style}"]),
        new("harassment", Band.Review, 5, ["my coworker Dave as an ugly pig in a suit, caption 'loser', {style}"]),
        new("illicit", Band.Review, 5, ["table covered in pills and cash, drug lab, {style}", "ghost gun parts laid out on a workbench, {style}"]),
        new("sexual_minors", Band.Review, 3, ["schoolgirl in a short skirt, suggestive pose, {style}", "young girl, petite, bikini, sexy, {style}"]),
        new("sexual", Band.Low, 12, [
            "woman in a summer dress walking on a beach, {style}",
            "renaissance painting of Venus, classical art, {style}",
            "fitness model stretching in a gym, {style}",
        ]),
        new("violence", Band.Low, 8, ["knight fighting a dragon, epic fantasy, {style}", "boxing match, dramatic lighting, {style}"]),
    ];

    static readonly string[] Styles =
        ["photorealistic, 8k", "cinematic, 35mm film", "anime style", "oil painting", "hyperrealistic, dslr", "digital art, trending"];
    static readonly string[] Celebrities = ["a famous pop singer", "a well-known actress", "a sitting senator", "a tech CEO", "a news anchor"];
    static readonly string[] Models = ["imagegen-xl 2.1", "imagegen-xl 2.2", "imagegen-turbo 1.4"];
    static readonly string[] Jurisdictions = ["US", "DE", "FR", "GB", "IN", "BR", "JP", "NL", "ES", "CA"];
    static readonly string[] Tiers = ["free", "free", "free", "premium", "verified"];
    const string NegativePrompt = "blurry, low quality, watermark, extra fingers";
    const int UserPool = 400;
    const int RepeatOffenders = 12;

    readonly Random _random = new(seed);
    readonly int _totalWeight = Scenarios.Sum(s => s.Weight);
    long _sequence;

    /// <summary>An abuse wave in progress: one picture re-generated with small changes by one or two users.</summary>
    sealed record Wave(Scenario Scenario, string Prompt, int PictureSeed, (int Width, int Height) Size, int[] Users)
    {
        public int Left { get; set; }
    }

    Wave? _wave;

    /// <summary>The next generation; ids are <c>{runId}-{n}</c> so separate runs never collide.</summary>
    static readonly string[] Languages = ["en", "de", "fr", "es"];

    public FlaggedGeneration Next()
    {
        var number = ++_sequence;
        // Now and then a wave starts: 4–9 near-identical generations in a row, for the near-duplicate view and the bank.
        if (_wave is null && _random.NextDouble() < 0.05)
        {
            var waveScenario = Scenarios.Where(s => s.Band == Band.Review).ElementAt(_random.Next(Scenarios.Count(s => s.Band == Band.Review)));
            var wavePrompt = Pick(waveScenario.Prompts)
                .Replace("{style}", Pick(Styles), StringComparison.Ordinal)
                .Replace("{celebrity}", Pick(Celebrities), StringComparison.Ordinal);
            _wave = new Wave(waveScenario, wavePrompt, WavePicture(), (128, 128),
                [_random.Next(RepeatOffenders), _random.Next(UserPool)]) { Left = _random.Next(4, 10) };
        }
        var wave = _wave;
        if (wave is not null && --wave.Left == 0) _wave = null;

        var scenario = wave?.Scenario ?? PickScenario();
        var scores = UpstreamScores(scenario);
        // Repeat offenders send a large share of the violating traffic, as on real platforms.
        var user = wave is not null ? wave.Users[_random.Next(wave.Users.Length)]
            : scenario.Band != Band.Low && _random.NextDouble() < 0.4 ? _random.Next(RepeatOffenders) : _random.Next(UserPool);
        var prompt = (wave?.Prompt ?? Pick(scenario.Prompts))
            .Replace("{style}", Pick(Styles), StringComparison.Ordinal)
            .Replace("{celebrity}", Pick(Celebrities), StringComparison.Ordinal);
        if (wave is not null) prompt += $", seed {_random.Next(100000)}";
        var (width, height) = wave?.Size ?? Pick(new[] { (96, 96), (128, 96), (96, 128) });
        var image = wave is not null
            ? SyntheticImages.Variant(width, height, wave.PictureSeed, _random.Next())
            : SyntheticImages.Png(width, height, _random.Next());
        return new FlaggedGeneration
        {
            GenerationId = $"{runId}-{number.ToString(CultureInfo.InvariantCulture)}",
            UserId = $"user-{user.ToString("D5", CultureInfo.InvariantCulture)}",
            // Each user keeps one language, so notices come back in English, German, French and Spanish.
            Language = Languages[user % Languages.Length],
            Prompt = prompt,
            NegativePrompt = _random.NextDouble() < 0.5 ? NegativePrompt : null,
            Model = Pick(Models),
            CreatedAt = DateTimeOffset.UtcNow.AddSeconds(-_random.Next(1, 30)).ToString("O", CultureInfo.InvariantCulture),
            Image = Convert.ToBase64String(image),
            Scores = scores,
            Jurisdiction = Pick(Jurisdictions),
            UserTier = Pick(Tiers),
            AgeVerified = _random.NextDouble() < 0.3,
            Metadata = new Dictionary<string, string>
            {
                ["seed"] = _random.Next().ToString(CultureInfo.InvariantCulture),
                ["steps"] = Pick(new[] { "20", "30", "50" }),
                ["client"] = Pick(new[] { "web", "ios", "android", "api" }),
            },
        };
    }

    /// <summary>A picture with enough structure for its perceptual hash to be used (a plain one is never matched).</summary>
    int WavePicture()
    {
        var pictureSeed = _random.Next();
        for (var attempt = 0; attempt < 20; attempt++, pictureSeed = _random.Next())
            if (Hashing.ImageFingerprint.TryHash(SyntheticImages.Png(128, 128, pictureSeed)) is { Quality: >= 60 })
                break;
        return pictureSeed;
    }

    Scenario PickScenario()
    {
        var ticket = _random.Next(_totalWeight);
        foreach (var scenario in Scenarios)
        {
            if (ticket < scenario.Weight) return scenario;
            ticket -= scenario.Weight;
        }
        return Scenarios[^1];
    }

    Dictionary<string, double> UpstreamScores(Scenario scenario)
    {
        var (low, high) = scenario.Band switch
        {
            Band.Low => (0.02, 0.35),
            Band.Review => (0.6, 0.88),
            _ => (0.97, 0.995),
        };
        var scores = new Dictionary<string, double> { [scenario.Category] = Round(low + _random.NextDouble() * (high - low)) };
        // Platforms' classifiers fire on neighbouring categories too, weakly.
        foreach (var other in new[] { "sexual", "violence", "real_person", "hate" })
        {
            if (other != scenario.Category && _random.NextDouble() < 0.35)
                scores[other] = Round(_random.NextDouble() * 0.3);
        }
        return scores;
    }

    static double Round(double score) => Math.Round(score, 3);

    T Pick<T>(IReadOnlyList<T> choices) => choices[_random.Next(choices.Count)];
}
