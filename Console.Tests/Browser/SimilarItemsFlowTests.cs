using Dapper;
using Microsoft.Playwright;
using ModerationConsole.Tests.Hashing;
using ModerationConsole.Tests.Infrastructure;
using Npgsql;
using SkiaSharp;

namespace ModerationConsole.Tests.Browser;

/// <summary>
/// "Show similar items" in the browser: a mirrored copy PDQ cannot match appears as similar content, a colleague's
/// earlier decision on a cropped copy is listed with its outcome, and one block decides the item and its copy.
/// </summary>
[Trait(TestKind.Trait, TestKind.Browser)]
public sealed class SimilarItemsFlowTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_moderator_shows_similar_items_sees_a_past_decision_and_blocks_the_mirrored_copy_with_the_item()
    {
        var db = await postgres.CreateDatabaseAsync();
        var key = (await ConsoleProcess.RunAsync(db, null, "producer", "add", "platform")).LastLine;
        Assert.Equal(0, (await ConsoleProcess.RunAsync(db, TestData.Password, "user", "add", "mod@example.test", "--role", "moderator")).ExitCode);
        await using var console = await ConsoleProcess.ServeAsync(db, DefaultModelFolder.ConsoleSettings);
        await using var producer = await ProducerClient.ConnectAsync(console.BaseAddress, key);
        await using var browser = await BrowserSession.StartAsync(console.BaseAddress);
        var page = browser.Page;
        await browser.SignInAsync("mod@example.test", TestData.Password);

        // A colleague's decision on a cropped copy, made once the model has embedded it.
        using var picture = TestPictures.Draw(seed: 601);
        using var cropped = TestPictures.Crop(picture, 0.1);
        await producer.SubmitAsync(GenerationBuilder.Queued().WithUser("earlier").WithPrompt("the earlier copy").WithImage(TestPictures.Png(cropped)).Build());
        await EmbeddedAsync(db, 1);
        await page.GetByTestId("next-standard").ClickAsync();
        await Assertions.Expect(page.GetByTestId("prompt")).ToContainTextAsync("the earlier copy");
        await page.GetByTestId("approve").ClickAsync();
        Assert.Equal("approved", (await producer.NextDecisionAsync(TimeSpan.FromSeconds(20))).Decision);

        using var mirrored = TestPictures.Mirror(picture);
        await producer.SubmitAsync(new GenerationBuilder().WithScores(("self_harm", 0.5)).WithUser("a").WithPrompt("the picture").WithImage(TestPictures.Png(picture)).Build());
        var copy = GenerationBuilder.Queued().WithUser("b").WithPrompt("its mirror image").WithImage(TestPictures.Png(mirrored)).Build();
        await producer.SubmitAsync(copy);
        await producer.SubmitAsync(GenerationBuilder.Queued().WithUser("c").WithPrompt("something else").WithImage(TestPictures.Png(TestPictures.Draw(seed: 602))).Build());
        await EmbeddedAsync(db, 4);
        await page.Locator("[data-testid=prompt]").Filter(new() { HasText = "the picture" }).WaitForAsync();

        await page.GetByTestId("show-similar").ClickAsync();

        await Assertions.Expect(page.GetByTestId("near-group-content")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("near-duplicate").First).ToContainTextAsync("similar content");
        await Assertions.Expect(page.GetByTestId("similar-decision").First).ToContainTextAsync("approved");
        await Assertions.Expect(page.GetByTestId("similar-decision").First).ToContainTextAsync("the earlier copy");
        await page.Locator($"[data-testid=near-duplicate]:has-text('its mirror image') input[type=checkbox]").CheckAsync();
        await Assertions.Expect(page.GetByTestId("block")).ToContainTextAsync("+ 1");
        await page.GetByTestId("block").ClickAsync();

        var blocked = new[] { await producer.NextDecisionAsync(TimeSpan.FromSeconds(20)), await producer.NextDecisionAsync(TimeSpan.FromSeconds(20)) };
        Assert.All(blocked, n => Assert.Equal("blocked", n.Decision));
        Assert.Contains(blocked, n => n.GenerationId == copy.GenerationId);
        await Assertions.Expect(page.GetByTestId("prompt")).ToContainTextAsync("something else");
    }

    private static async Task EmbeddedAsync(string db, int images)
    {
        await using var connection = new NpgsqlConnection(db);
        await Eventually.TrueAsync(async () => await connection.ExecuteScalarAsync<int>("select count(*) from image_embeddings") >= images,
            () => $"fewer than {images} images were embedded", within: TimeSpan.FromSeconds(60));
    }
}
