using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Embeddings;
using ModerationConsole.Scoring.Import;
using ModerationConsole.Scoring.Manifest;
using ModerationConsole.Tests.Hashing;
using ModerationConsole.Tests.Infrastructure;
using ModerationConsole.Tests.Scoring;

namespace ModerationConsole.Tests.Heads;

/// <summary>
/// A backbone only (an embedding output and no labels, as ResNet18 is installed) chosen as <c>Scoring:Backbone</c>:
/// activated at its first registration, it embeds each arriving image once, writes no scores, is not run again on
/// items it has embedded, and similar items search its vectors.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class BackboneOnlyTests(PostgresFixture postgres) : IAsyncLifetime
{
    private readonly DirectoryInfo models = Directory.CreateTempSubdirectory("mc-backbone-");
    private TestConsole console = null!;
    private const string Source = "channel-mean@1";

    public async ValueTask InitializeAsync()
    {
        var manifest = ScoringTestModels.ImageManifest("channel-mean", 8, 8, "none") with { Embedding = new EmbeddingOutput("means", 3) };
        TfjsImport.Write(models.FullName, "channel-mean", ScoringTestModels.ChannelMeanModel(), manifest);
        console = await TestConsole.StartAsync(postgres, $"--Scoring:ModelsDirectory={models.FullName}", "--Scoring:Backbone=channel-mean",
            "--Scoring:NewItemsInterval=00:00:00.2", "--Scoring:ExecutionProvider=cpu");
    }

    public async ValueTask DisposeAsync()
    {
        await console.DisposeAsync();
        models.Delete(recursive: true);
    }

    [Fact]
    public async Task It_embeds_each_arriving_image_once_writes_no_scores_and_its_vectors_find_similar_items()
    {
        using var http = ProducerClient.Http(console.BaseAddress, (await console.ProducerAsync()).ApiKey);
        var ids = new List<long>();
        foreach (var seed in new[] { 1, 2, 3 })
        {
            var response = await http.PostAsync("/api/v1/generations", System.Net.Http.Json.JsonContent.Create(new[]
            {
                GenerationBuilder.Queued().WithUser($"u{seed}").WithImage(TestPictures.Png(TestPictures.Draw(seed, 120, 90))).Build(),
            }));
            ids.Add((await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<ModerationConsole.Ingest.IngestReceipt[]>(response.Content))![0].ItemId!.Value);
        }
        await using var db = await console.OpenConnectionAsync();
        await Eventually.TrueAsync(async () => await db.ExecuteScalarAsync<int>(
            "select count(*) from image_embeddings where backbone = @Source", new { Source }) == 3, () => "the backbone did not embed the images");
        var passes = await Passes(db);
        await Task.Delay(TimeSpan.FromSeconds(1)); // five more rounds of scoring arriving items

        Assert.Equal(passes, await Passes(db));
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("select count(*) from item_scores where source = @Source", new { Source }));
        var found = await console.Service<SimilarItems>().FindAsync((await console.PersonAsync(Roles.Moderator)).Principal, ids[0]);
        Assert.Equal(Source, found!.Backbone);
    }

    private static Task<int> Passes(Npgsql.NpgsqlConnection db) => db.ExecuteScalarAsync<int>(
        "select count(*) from audit_log where action = 'scoring.batch_scored' and details ->> 'classifier' = @Source", new { Source });
}
