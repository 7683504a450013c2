using System.Net.Http.Json;
using Dapper;
using ModerationConsole.Ingest;
using ModerationConsole.Producers;
using ModerationConsole.Review;
using ModerationConsole.Scoring;
using ModerationConsole.Scoring.Import;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Scoring;

/// <summary>
/// The default image model in the models folder, as <c>model install-default</c> leaves it: the console registers and
/// activates it at its first start, scores arriving items with it, routes on its scores and shows them to moderators.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class DefaultImageModelScoringTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestConsole console = null!;
    private static string Source => DefaultModelFolder.Source;

    // The package's files as npm ci installed them for the peer tests (the same bytes the tarball holds), converted once.
    public async ValueTask InitializeAsync() => console = await TestConsole.StartAsync(postgres, DefaultModelFolder.ConsoleSettings);

    public async ValueTask DisposeAsync() => await console.DisposeAsync();

    [Fact]
    public async Task Arriving_items_are_scored_by_the_default_model_and_moderators_see_its_scores_beside_the_producers()
    {
        await Eventually.TrueAsync(async () => (await console.Service<ClassifierStore>().ListAsync()).Any(v => v.Name == DefaultImageModel.Name && v.Active),
            () => "the default model was not activated at start");
        using var http = new HttpClient { BaseAddress = console.BaseAddress };
        http.DefaultRequestHeaders.Add(ApiKeys.HeaderName, (await console.ProducerAsync()).ApiKey);
        FlaggedGeneration[] items = [GenerationBuilder.Queued(), GenerationBuilder.Queued(), GenerationBuilder.Queued()];
        var receipts = await (await http.PostAsJsonAsync("/api/v1/generations", items)).Content.ReadFromJsonAsync<IngestReceipt[]>();
        var ids = receipts!.Select(r => r.ItemId!.Value).ToArray();

        await using var db = await console.OpenConnectionAsync();
        await Eventually.TrueAsync(async () => await db.ExecuteScalarAsync<long>(
            "select count(distinct item_id) from item_scores where source = @Source and item_id = any(@ids)", new { Source, ids }) == ids.Length,
            () => "the items were not scored by the default model");

        var categories = (await db.QueryAsync<string>("select distinct category from item_scores where source = @Source", new { Source })).Order();
        Assert.Equal(["sexual", "suggestive"], categories);
        var shown = await console.Service<ReviewItemReader>().ReadAsync(ids[0]);
        var model = Assert.Single(shown!.Classifiers!);
        Assert.Equal(Source, model.Source);
        Assert.Equal(["Sexual content", "Suggestive (not explicit)"], model.Scores.Select(s => s.Label).Order());
        Assert.NotEmpty(shown.Scores); // the producer's own, still there
        // The same pass stored each image's pooled features: 1280 float16 values, unit length.
        var stored = (await db.QueryAsync<byte[]>(
            "select e.embedding from image_embeddings e join review_items r on r.image_sha256 = e.image_sha256 where r.id = any(@ids) and e.backbone = @Source",
            new { ids, Source })).ToList();
        Assert.Equal(ids.Length, stored.Count);
        foreach (var vector in stored.Select(b => Embeddings.EmbeddingVector.FromHalfBytes(b)))
        {
            Assert.Equal(1280, vector.Length);
            Assert.Equal(1.0, Math.Sqrt(vector.Sum(v => (double)v * v)), 2);
        }
        var activated = await db.ExecuteScalarAsync<string>(
            "select actor_kind from audit_log where action = 'classifier.activated' and details->>'name' = @name", new { name = DefaultImageModel.Name });
        Assert.Equal("system", activated);
    }
}
