using ModerationConsole.Checks;
using ModerationConsole.Tests.Infrastructure;
using ModerationConsole.Policy;
using ModerationConsole.Scoring.Manifest;
using ModerationConsole.Scoring.Runtime;
using ModerationConsole.Scoring.Text;
using ModerationConsole.Scoring.Training;

namespace ModerationConsole.Tests.Scoring;

/// <summary>The console's own prompt classifier: its features, its ONNX graph, and how well it learns the shipped set.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class PromptModelTests
{
    private static readonly string[] Categories = PromptTrainer.LearnableCategories(DefaultPolicy.Categories.Select(c => c.Name), ShippedPrompts.Load()).ToArray();

    [Fact]
    public void Features_are_words_word_pairs_and_character_ngrams_of_each_word()
    {
        var featurizer = new PromptFeaturizer(new TextInput { IdsInput = "ids", MaskInput = "mask", Buckets = 1 << 20 });

        // "ab", "cd": 2 words + 1 pair + per word "<ab>": three 3-grams? no: two 3-grams and one 4-gram = 3 each.
        Assert.Equal(2 + 1 + 3 + 3, featurizer.Features("AB, cd!").Count);
        Assert.Equal(featurizer.Features("ab cd"), featurizer.Features("AB, cd!"));
        // A misspelling shares most of its character n-grams with the word.
        var shared = featurizer.Features("nudity").Intersect(featurizer.Features("nuudity")).Count();
        Assert.True(shared >= 5, $"only {shared} shared features");
    }

    [Fact]
    public void A_feature_is_the_FNV_1a_hash_of_its_UTF8_text_so_trained_models_keep_their_buckets()
    {
        var featurizer = new PromptFeaturizer(new TextInput { IdsInput = "ids", MaskInput = "mask", Buckets = 1 << 20 });

        // "w:nudé", "w:nudé beach", "c:<nu", … as Python's FNV-1a over str.encode("utf-8") gives them, modulo 2^20.
        Assert.Equal([770007, 3192, 570889, 777475, 699861, 880670, 470423, 818635, 1034481, 273295, 673967, 663295, 342045,
            577104, 227907, 1014784, 775791, 518964, 825929, 610737, 38298, 489973, 434675, 746525], featurizer.Features("Nudé beach"));
    }

    [Fact]
    public void The_onnx_graph_computes_what_the_model_computes_in_CSharp_across_padded_batches()
    {
        var examples = ShippedPrompts.Load().Where(e => !e.HeldOut).Take(300).ToList();
        var model = PromptTrainer.Train(examples, Categories, new TrainingSettings { Buckets = 4096, Epochs = 2 });
        using var host = ScoringTestModels.CpuHost();
        using var classifier = host.OpenUnregistered(model.Manifest("prompt-test", "1", "test"), model.ToOnnx());
        // Different lengths in one batch: the short ones are padded, and padding must not move their mean.
        string[] prompts = ["a cat", "an oil painting of a lighthouse at dusk with gulls over a stormy sea", "", "nude"];

        var scores = TextBatchRunner.Run(classifier, prompts, batchSize: 4);

        for (var i = 0; i < prompts.Length; i++)
        {
            var expected = model.Predict(prompts[i]);
            for (var c = 0; c < Categories.Length; c++) Assert.Equal(expected[c], scores[i][c], 5);
        }
    }

    [Fact]
    public async Task Checks_asked_at_once_are_scored_together_each_with_the_scores_it_gets_alone()
    {
        var examples = ShippedPrompts.Load().Where(e => !e.HeldOut).Take(300).ToList();
        var model = PromptTrainer.Train(examples, Categories, new TrainingSettings { Buckets = 4096, Epochs = 2 });
        using var host = ScoringTestModels.CpuHost();
        using var classifier = host.OpenUnregistered(model.Manifest("prompt-test", "1", "test"), model.ToOnnx());
        var batcher = new PromptScoreBatcher();
        var prompts = examples.Select(e => e.Prompt).Take(200).ToList();

        var together = await Task.WhenAll(prompts.Select(p => Task.Run(() => batcher.ScoreAsync(classifier, p))));

        for (var i = 0; i < prompts.Count; i++)
        {
            var alone = model.Predict(prompts[i]);
            for (var c = 0; c < Categories.Length; c++) Assert.Equal(alone[c], together[i][c], tolerance: 1e-5);
        }
    }

    [Fact]
    public void The_shipped_set_is_synthetic_labelled_with_policy_categories_and_has_a_held_out_split()
    {
        var examples = ShippedPrompts.Load();
        // Every default category but the image-only one is taught by the shipped prompts.
        Assert.Equal(DefaultPolicy.Categories.Select(c => c.Name).Where(c => c != "suggestive"), Categories);

        Assert.InRange(examples.Count(e => e.HeldOut), examples.Count / 10, examples.Count / 3);
        Assert.All(examples.SelectMany(e => e.Labels), label => Assert.Contains(label, Categories));
        Assert.All(Categories, c => Assert.Contains(examples, e => e.HeldOut && e.Labels.Contains(c)));
    }

    /// <summary>
    /// The baseline: a fixed keyword list per category (the filter a platform starts with). The trained model must beat
    /// it on macro-averaged F1 over the held-out split, and reach a floor of its own.
    /// </summary>
    [Fact]
    public void The_trained_model_beats_a_keyword_baseline_on_the_held_out_split()
    {
        var examples = ShippedPrompts.Load();
        var heldOut = examples.Where(e => e.HeldOut).ToList();

        var model = PromptTrainer.Train(examples.Where(e => !e.HeldOut).ToList(), Categories, new TrainingSettings());
        var trained = MacroF1(PromptTrainer.Evaluate(heldOut, Categories, model.Predict));
        var baseline = MacroF1(PromptTrainer.Evaluate(heldOut, Categories, KeywordBaseline));

        Assert.True(trained > baseline + 0.05, $"trained macro-F1 {trained:0.000} vs keyword baseline {baseline:0.000}");
        Assert.True(trained >= 0.85, $"trained macro-F1 {trained:0.000}");
    }

    private static readonly Dictionary<string, string[]> Keywords = new()
    {
        ["sexual"] = ["nude", "naked", "nsfw", "sex", "porn", "erotic", "topless"],
        ["sexual_minors"] = ["child", "kid", "minor", "underage", "schoolgirl", "preteen"],
        ["violence"] = ["blood", "gore", "murder", "shot", "stabbed", "corpse"],
        ["self_harm"] = ["suicide", "cutting", "self-harm", "overdose"],
        ["hate"] = ["nazi", "kkk", "swastika", "exterminated", "subhuman"],
        ["harassment"] = ["humiliating", "bully", "mocking", "ugly"],
        ["illicit"] = ["meth", "cocaine", "heroin", "bomb", "counterfeit", "fentanyl"],
        ["real_person"] = ["obama", "trump", "swift", "musk", "biden", "celebrity"],
    };

    private static float[] KeywordBaseline(string prompt)
    {
        var text = prompt.ToLowerInvariant();
        return Categories.Select(c => Keywords[c].Any(text.Contains) ? 1f : 0f).ToArray();
    }

    private static double MacroF1(IReadOnlyList<ModerationConsole.Scoring.CategoryMetrics> metrics) => metrics.Average(m =>
        m.Precision + m.Recall == 0 ? 0 : 2 * m.Precision * m.Recall / (m.Precision + m.Recall));
}
