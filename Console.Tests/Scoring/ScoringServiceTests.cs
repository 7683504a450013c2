using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Policy;
using ModerationConsole.Scoring;
using ModerationConsole.Scoring.Training;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Scoring;

/// <summary>Scoring batches of pending items against a real database, as a re-scoring job does.</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class ScoringServiceTests(PostgresFixture postgres) : IAsyncLifetime
{
    /// <summary>The policy categories a prompt model learns from the shipped prompts (all but the image-only one).</summary>
    private static readonly IReadOnlyList<string> PromptCategories =
        PromptTrainer.LearnableCategories(DefaultPolicy.Categories.Select(c => c.Name), ShippedPrompts.Load());

    private readonly DirectoryInfo models = Directory.CreateTempSubdirectory("mc-models-");
    private TestConsole console = null!;
    private ProducerClient producer = null!;

    public async ValueTask InitializeAsync()
    {
        // An image model dropped into this console's own models folder: the channel means of the image, through a sigmoid.
        await ScoringTestModels.DropChannelMeanModelAsync(models.FullName);
        console = await TestConsole.StartAsync(postgres, $"--Scoring:ModelsDirectory={models.FullName}", "--Scoring:ExecutionProvider=cpu");
        producer = await ProducerClient.ConnectAsync(console.BaseAddress, (await console.ProducerAsync()).ApiKey);
    }

    public async ValueTask DisposeAsync()
    {
        await producer.DisposeAsync();
        await console.DisposeAsync();
        models.Delete(recursive: true);
    }

    private async Task<long[]> IngestAsync(params GenerationBuilder[] items) =>
        (await producer.SubmitBatchAsync(items.Select(i => (object)i.Build()))).Select(r => r.ItemId!.Value).ToArray();

    [Fact]
    public async Task A_trained_prompt_model_scores_each_pending_item_once_per_category_under_its_version()
    {
        var trained = await console.Service<PromptModelService>().TrainAsync(Actor.Console, null, activate: true);
        string[] prompts = ["a watercolour of a lighthouse", "explicit nude photo of Taylor Swift", "a man stabbed, blood everywhere"];
        var ids = await IngestAsync(prompts.Select(p => GenerationBuilder.Queued().WithPrompt(p)).ToArray());

        var batch = await console.Service<ScoringService>().ScoreBatchAsync(trained.Name, trained.Version, ids, Actor.Console);

        Assert.Equal(3, batch.Scored);
        await using var db = await console.OpenConnectionAsync();
        var rows = (await db.QueryAsync<(long ItemId, string Category, double Score)>(
            "select item_id, category, score from item_scores where source = @source", new { source = $"{trained.Name}@{trained.Version}" })).ToList();
        Assert.Equal(3 * PromptCategories.Count, rows.Count);
        // The stored scores are the model's own, computed again here from the stored weights in C#.
        var (manifest, onnx) = (await console.Service<ClassifierStore>().FindAsync(trained.Name, trained.Version))!.Value;
        Assert.NotNull(onnx);
        var retrained = PromptTrainer.Train(ShippedPrompts.Load().Where(e => !e.HeldOut).ToList(), manifest.Labels.Select(l => l.Category!).ToList(), new TrainingSettings());
        for (var i = 0; i < ids.Length; i++)
        {
            var expected = retrained.Predict(prompts[i]);
            foreach (var (label, c) in manifest.Labels.Select((l, c) => (l, c)))
                Assert.Equal(expected[c], rows.Single(r => r.ItemId == ids[i] && r.Category == label.Category).Score, 4);
        }
        Assert.True(rows.Single(r => r.ItemId == ids[1] && r.Category == "sexual").Score > 0.5);
        Assert.True(rows.Single(r => r.ItemId == ids[0] && r.Category == "sexual").Score < 0.5);
    }

    [Fact]
    public async Task Scoring_the_same_batch_again_writes_nothing_and_audits_nothing()
    {
        var ids = await IngestAsync(GenerationBuilder.Queued(), GenerationBuilder.Queued(), GenerationBuilder.Escalated());
        var scoring = console.Service<ScoringService>();
        await Eventually.TrueAsync(async () => (await console.Service<ClassifierStore>().ListAsync()).Any(v => v.Name == "channel-mean"));

        var first = await scoring.ScoreBatchAsync("channel-mean", "1", ids, Actor.Console);
        await using var db = await console.OpenConnectionAsync();
        var before = (await db.QueryAsync<(long, string, double)>("select item_id, category, score from item_scores where source = 'channel-mean@1' order by 1, 2")).ToList();
        var second = await scoring.ScoreBatchAsync("channel-mean", "1", ids, Actor.Console);

        Assert.Equal((3, 0), (first.Scored, first.Skipped));
        Assert.Equal((0, 3), (second.Scored, second.Skipped));
        Assert.Equal(3 * 2, before.Count); // two labels map to categories, the third ("label2") is not stored
        Assert.Equal(before, (await db.QueryAsync<(long, string, double)>("select item_id, category, score from item_scores where source = 'channel-mean@1' order by 1, 2")).ToList());
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'scoring.batch_scored'"));
    }

    [Fact]
    public async Task An_image_model_scores_the_stored_image_of_each_item()
    {
        var red = ScoringTestModels.RgbPng(32, 24, (_, _) => (255, 0, 0));
        var grey = ScoringTestModels.RgbPng(40, 40, (_, _) => (128, 128, 128));
        var ids = await IngestAsync(GenerationBuilder.Queued().WithImage(red), GenerationBuilder.Queued().WithImage(grey));
        await Eventually.TrueAsync(async () => (await console.Service<ClassifierStore>().ListAsync()).Any(v => v.Name == "channel-mean"));

        await console.Service<ScoringService>().ScoreBatchAsync("channel-mean", "1", ids, Actor.Console);

        await using var db = await console.OpenConnectionAsync();
        double Score(long item, string category) => db.ExecuteScalar<double>(
            "select score from item_scores where item_id = @item and category = @category and source = 'channel-mean@1'", new { item, category });
        static double Expected(int value, int channel) =>
            1 / (1 + Math.Exp(-((value / 255.0 - ScoringTestModels.ImageNetMean[channel]) / ScoringTestModels.ImageNetStd[channel])));
        Assert.Equal(Expected(255, 0), Score(ids[0], "sexual"), 5);   // label0 ← red channel
        Assert.Equal(Expected(0, 1), Score(ids[0], "violence"), 5);   // label1 ← green channel
        Assert.Equal(Expected(128, 0), Score(ids[1], "sexual"), 5);
    }

    [Fact]
    public async Task Items_already_decided_are_not_scored()
    {
        var ids = await IngestAsync(GenerationBuilder.AutoBlocked(), GenerationBuilder.Queued());
        await Eventually.TrueAsync(async () => (await console.Service<ClassifierStore>().ListAsync()).Any(v => v.Name == "channel-mean"));

        var batch = await console.Service<ScoringService>().ScoreBatchAsync("channel-mean", "1", ids, Actor.Console);

        Assert.Equal((1, 1), (batch.Scored, batch.Skipped));
    }

    [Fact]
    public async Task Training_stores_the_version_with_held_out_precision_and_recall_and_audits_it()
    {
        var trained = await console.Service<PromptModelService>().TrainAsync(Actor.Console, null, activate: false);

        var version = (await console.Service<ClassifierStore>().ListAsync()).Single(v => v.Name == PromptModelService.ModelName);
        Assert.Equal(trained.Version, version.Version);
        Assert.True(version.Stored);
        Assert.Equal(PromptCategories, version.ParsedMetrics.Select(m => m.Category));
        Assert.All(version.ParsedMetrics, m => Assert.InRange(m.Recall, 0.5, 1.0));
        await using var db = await console.OpenConnectionAsync();
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'classifier.trained'"));
    }
}
