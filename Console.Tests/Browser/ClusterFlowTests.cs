using Microsoft.Playwright;
using ModerationConsole.Tests.Hashing;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Browser;

/// <summary>A wave of near-identical generations decided once in the browser, with the break prompt after severe items.</summary>
[Trait(TestKind.Trait, TestKind.Browser)]
public sealed class ClusterFlowTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_moderator_ticks_the_similar_images_blocks_them_with_one_decision_and_is_offered_a_break()
    {
        var db = await postgres.CreateDatabaseAsync();
        var key = (await ConsoleProcess.RunAsync(db, null, "producer", "add", "platform")).LastLine;
        Assert.Equal(0, (await ConsoleProcess.RunAsync(db, TestData.Password, "user", "add", "mod@example.test", "--role", "moderator")).ExitCode);
        // Every severe item suggests a break, so the prompt shows on the first one.
        await using var console = await ConsoleProcess.ServeAsync(db, "--Wellness:BreakAfterSevere=1");
        await using var producer = await ProducerClient.ConnectAsync(console.BaseAddress, key);
        await using var browser = await BrowserSession.StartAsync(console.BaseAddress);
        var page = browser.Page;

        using var picture = TestPictures.Draw(seed: 501);
        using var smaller = TestPictures.Resize(picture, 0.5);
        using var other = TestPictures.Draw(seed: 502);
        var wave = new[] { TestPictures.Png(picture), TestPictures.Jpeg(picture, 65), TestPictures.Png(smaller) };
        var ids = new List<string>();
        for (var i = 0; i < wave.Length; i++)
        {
            var item = GenerationBuilder.Queued().WithUser($"wave-{i}").WithPrompt($"wave picture {i}").WithImage(wave[i]).Build();
            ids.Add(item.GenerationId!);
            await producer.SubmitAsync(item);
        }
        await producer.SubmitAsync(GenerationBuilder.Queued().WithUser("bystander").WithPrompt("a bowl of fruit").WithImage(TestPictures.Png(other)).Build());

        await browser.SignInAsync("mod@example.test", TestData.Password);
        await page.GetByTestId("next-standard").ClickAsync();
        await Assertions.Expect(page.GetByTestId("prompt")).ToContainTextAsync("wave picture 0");
        await Assertions.Expect(page.GetByTestId("break-prompt")).ToBeVisibleAsync();
        await page.GetByTestId("keep-going").ClickAsync();
        await Assertions.Expect(page.GetByTestId("break-prompt")).ToHaveCountAsync(0);

        await Assertions.Expect(page.GetByTestId("near-duplicate")).ToHaveCountAsync(2);
        await Assertions.Expect(page.GetByTestId("block")).Not.ToContainTextAsync("+");
        await page.GetByTestId("select-similar").ClickAsync();
        await Assertions.Expect(page.GetByTestId("block")).ToContainTextAsync("+ 2");
        await page.GetByTestId("block").ClickAsync();

        var notices = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var notice = await producer.NextDecisionAsync(TimeSpan.FromSeconds(20));
            Assert.Equal("blocked", notice.Decision);
            notices.Add(notice.GenerationId);
        }
        Assert.Equal(ids.Order(), notices.Order());
        // The wave is gone from the queue: the next item is the unrelated one.
        await Assertions.Expect(page.GetByTestId("prompt")).ToContainTextAsync("a bowl of fruit");
        await Assertions.Expect(page.GetByTestId("near-duplicate")).ToHaveCountAsync(0);
    }
}
