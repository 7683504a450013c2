using ModerationConsole.Scoring.Runtime;
using ModerationConsole.Simulate;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Scoring.Import;

/// <summary>nsfwjs' other model converts too; a class of its own so that its long reference run overlaps the others.</summary>
[Trait(TestKind.Trait, TestKind.Peer)]
public sealed class InceptionV3EquivalenceTests
{
    private static readonly Lazy<LoadedClassifier> InceptionV3 = new(() => NsfwjsEquivalenceTests.Convert("inception_v3", "nsfwjs-inception-v3"));

    /// <summary>One picture: TensorFlow.js' pure-JavaScript backend takes about a minute per InceptionV3 inference here.</summary>
    [Fact]
    public async Task InceptionV3_converts_too_and_gives_nsfwjs_probabilities()
    {
        byte[][] pictures = [SyntheticImages.NoisyPng(400, 300, 22)];

        await NsfwjsEquivalenceTests.AssertSameAsNsfwjsAsync(InceptionV3.Value, "InceptionV3", pictures);
    }
}
