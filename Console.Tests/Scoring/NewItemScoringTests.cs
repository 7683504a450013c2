using System.Security.Cryptography;
using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Scoring;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Scoring;

/// <summary>Active classifiers score arriving items by themselves, each item once, including one whose insert commits late.</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class NewItemScoringTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const string Source = "channel-mean@1";
    private readonly DirectoryInfo models = Directory.CreateTempSubdirectory("mc-models-");
    private TestConsole console = null!;
    private ProducerClient producer = null!;

    public async ValueTask InitializeAsync()
    {
        await ScoringTestModels.DropChannelMeanModelAsync(models.FullName);
        console = await TestConsole.StartAsync(postgres, $"--Scoring:ModelsDirectory={models.FullName}", "--Scoring:ExecutionProvider=cpu");
        await Eventually.TrueAsync(async () => (await console.Service<ClassifierStore>().ListAsync()).Any(v => v.Name == "channel-mean"));
        await console.Service<ClassifierStore>().ActivateAsync("channel-mean", "1", Actor.Console);
        producer = await ProducerClient.ConnectAsync(console.BaseAddress, (await console.ProducerAsync()).ApiKey);
    }

    public async ValueTask DisposeAsync()
    {
        await producer.DisposeAsync();
        await console.DisposeAsync();
        models.Delete(recursive: true);
    }

    [Fact]
    public async Task Arriving_items_are_scored_once_by_each_active_version()
    {
        var scoring = console.Service<NewItemScoring>();
        var ids = (await producer.SubmitBatchAsync([GenerationBuilder.Queued().Build(), GenerationBuilder.Queued().Build()])).Select(r => r.ItemId!.Value).ToArray();

        Assert.Equal(2, await scoring.ScoreNewItemsAsync(CancellationToken.None));
        Assert.Equal(0, await scoring.ScoreNewItemsAsync(CancellationToken.None));
        await using var db = await console.OpenConnectionAsync();
        Assert.Equal(4L, await db.ExecuteScalarAsync<long>("select count(*) from item_scores where source = @Source and item_id = any(@ids)", new { Source, ids }));
    }

    /// <summary>
    /// Ids are handed out at insert: an item whose transaction is still open when later items are scored has a lower id
    /// than they do. It must still be scored once it commits.
    /// </summary>
    [Fact]
    public async Task An_item_that_commits_after_later_items_were_scored_is_scored_too()
    {
        var scoring = console.Service<NewItemScoring>();
        await using var owner = await console.OpenOwnerConnectionAsync();
        await using var late = await owner.BeginTransactionAsync();
        var png = ScoringTestModels.RgbPng(8, 8, ScoringTestModels.Pattern);
        var lateId = await owner.ExecuteScalarAsync<long>(
            """
            insert into images (sha256, content_type, width, height, byte_length, bytes) values (@hash, 'image/png', 8, 8, @length, @png)
            on conflict do nothing;
            insert into review_items (producer_id, generation_id, user_id, prompt, created_at, image_sha256, policy_version, route, status, queue)
            values ((select min(id) from producers), 'late-one', 'user-1', 'a prompt', now(), @hash, (select version from policies where active), 'queued', 'pending', 'standard')
            returning id
            """, new { hash = SHA256.HashData(png), length = png.Length, png }, late);
        var laterId = (await producer.SubmitAsync(GenerationBuilder.Queued().Build())).ItemId!.Value;
        Assert.True(laterId > lateId);

        Assert.Equal(1, await scoring.ScoreNewItemsAsync(CancellationToken.None));
        await late.CommitAsync();
        Assert.Equal(1, await scoring.ScoreNewItemsAsync(CancellationToken.None));

        await using var db = await console.OpenConnectionAsync();
        Assert.Equal(2L, await db.ExecuteScalarAsync<long>("select count(*) from item_scores where source = @Source and item_id = @lateId", new { Source, lateId }));
    }
}
