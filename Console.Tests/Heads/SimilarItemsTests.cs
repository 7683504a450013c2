using System.Net;
using System.Security.Claims;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Embeddings;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Review;
using ModerationConsole.Tests.Hashing;
using ModerationConsole.Tests.Infrastructure;
using SkiaSharp;

namespace ModerationConsole.Tests.Heads;

/// <summary>
/// "Show similar items" finds pictures near in content that PDQ cannot (a mirrored copy), lists past decisions on such
/// pictures with their outcomes, serves the neighbour's image to the moderator holding the item, and lets the moderator
/// block the neighbourhood in one decision.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public class SimilarItemsTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestConsole console = null!;
    private ProducerClient producer = null!;

    /// <summary>
    /// The console's settings: the default model, whose embeddings are searched. Arriving items are not scored in the
    /// background (the backfill embeds them), so no re-route holds an item's row while the moderator decides the cluster.
    /// </summary>
    protected virtual string[] Settings => [$"--Scoring:ModelsDirectory={DefaultModelFolder.Path}", "--Scoring:ExecutionProvider=cpu"];
    protected virtual string Backbone => DefaultModelFolder.Source;

    public async ValueTask InitializeAsync()
    {
        console = await TestConsole.StartAsync(postgres, Settings);
        producer = await ProducerClient.ConnectAsync(console.BaseAddress, (await console.ProducerAsync()).ApiKey);
    }

    public async ValueTask DisposeAsync()
    {
        await producer.DisposeAsync();
        await console.DisposeAsync();
    }

    [Fact]
    public async Task A_mirrored_copy_is_found_by_content_shown_with_past_decisions_and_blocked_with_the_item()
    {
        var (account, moderator) = await console.PersonAsync(Roles.Moderator);
        using var original = TestPictures.Draw(seed: 41);
        var earlier = await SubmitAsync(TestPictures.Crop(original, 0.1), "earlier");
        var earlierClaim = (await console.Service<ClaimService>().ClaimNextAsync(moderator, Queues.Standard))!;
        Assert.Equal(earlier, earlierClaim.ItemId);
        await console.Service<ReviewActions>().ApproveAsync(moderator, earlierClaim, null);

        // Self-harm outranks what the other pictures may be flagged for: the moderator's next claim is this item.
        var item = await SubmitAsync(original, "a", ("self_harm", 0.5));
        var mirrored = await SubmitAsync(TestPictures.Mirror(original), "b");
        var others = new List<long>();
        for (var seed = 50; seed < 56; seed++) others.Add(await SubmitAsync(TestPictures.Draw(seed), $"other-{seed}"));
        await EmbeddedAsync([earlier, item, mirrored, .. others]);
        var claim = (await console.Service<ClaimService>().ClaimNextAsync(moderator, Queues.Standard))!;
        Assert.Equal(item, claim.ItemId);

        var found = await console.Service<SimilarItems>().FindAsync(moderator, item);

        Assert.Equal(Backbone, found!.Backbone);
        var nearest = found.Pending[0];
        Assert.Equal(mirrored, nearest.Id);
        Assert.Null(nearest.ImageDistance); // PDQ does not see a mirror image as a near-duplicate
        Assert.True(nearest.Similarity > found.Pending.Skip(1).Select(p => p.Similarity).DefaultIfEmpty(0).Max());
        var decided = found.Decided[0];
        Assert.Equal((earlier, "approved", false), (decided.Id, decided.Decision, decided.Automated));
        using var http = await console.ClientAsync(account);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/review/images/{item}/similar/{mirrored}")).StatusCode);

        var outcome = await console.Service<ReviewActions>().DecideAsync(moderator, claim,
            ReviewDecision.Block(["violence"], null) with { AlsoDecide = [mirrored] });

        Assert.Equal([mirrored], outcome.ClusterDecided);
        await using var db = await console.OpenConnectionAsync();
        Assert.Equal(["blocked", "blocked"], await db.QueryAsync<string>(
            "select decision from decisions where item_id = any(@ids) order by item_id", new { ids = new[] { item, mirrored } }));
    }

    [Fact]
    public async Task Only_reviewers_may_look_for_similar_items_and_an_item_without_an_embedding_has_none()
    {
        var item = await SubmitAsync(TestPictures.Draw(seed: 7), "c");
        var auditor = (await console.PersonAsync(Roles.Auditor)).Principal;
        var moderator = (await console.PersonAsync(Roles.Moderator)).Principal;

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<SimilarItems>().FindAsync(auditor, item));
        Assert.Null(await console.Service<SimilarItems>().FindAsync(moderator, item + 1000));
    }

    private async Task<long> SubmitAsync(SKBitmap picture, string user, (string, double)? score = null) =>
        (await producer.SubmitAsync((score is { } s ? new GenerationBuilder().WithScores(s) : GenerationBuilder.Queued())
            .WithUser(user).WithImage(TestPictures.Png(picture)).Build())).ItemId!.Value;

    private async Task EmbeddedAsync(long[] ids)
    {
        await using var db = await console.OpenConnectionAsync();
        var backfill = console.Service<EmbeddingBackfill>();
        await Eventually.TrueAsync(async () => await backfill.BackboneAsync(default) is not null, () => "the default model was not activated");
        await backfill.WalkAsync((await backfill.BackboneAsync(default))!, EmbeddingBackfill.AllMissing, ModerationConsole.Audit.Actor.Console, _ => Task.CompletedTask, default);
        await Eventually.TrueAsync(async () => await db.ExecuteScalarAsync<int>(
                "select count(*) from review_items r join image_embeddings e on e.image_sha256 = r.image_sha256 and e.backbone = @Backbone where r.id = any(@ids)",
                new { ids, Backbone }) == ids.Length,
            () => "not every image was embedded", within: TimeSpan.FromSeconds(60));
    }
}

/// <summary>
/// The same with ImageNet's ResNet18 as the backbone, as <c>model install-resnet18</c> (run by <c>./test.sh</c>) puts it
/// into the repository's models folder: its batch made dynamic, its input prepared as the package prepares it.
/// </summary>
public sealed class SimilarItemsOnResNet18Tests(PostgresFixture postgres) : SimilarItemsTests(postgres)
{
    private static string Models => Path.Combine(ModerationConsole.Hosting.ConsoleHost.RepositoryRoot()!, "models");

    protected override string[] Settings =>
    [
        $"--Scoring:ModelsDirectory={Models}", "--Scoring:ExecutionProvider=cpu",
        $"--Scoring:Backbone={ModerationConsole.Scoring.Import.ResNet18Backbone.Name}",
    ];

    protected override string Backbone => $"{ModerationConsole.Scoring.Import.ResNet18Backbone.Name}@{ModerationConsole.Scoring.Import.ResNet18Backbone.Version}";
}
