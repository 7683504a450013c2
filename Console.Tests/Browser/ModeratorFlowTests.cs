using Microsoft.Playwright;
using ModerationConsole.Ingest;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Browser;

/// <summary>The whole path in a real browser: ingest over the hub, live queue counts, a keyboard decision, the notice back, the shortcut list and a skip.</summary>
[Trait(TestKind.Trait, TestKind.Browser)]
public sealed class ModeratorFlowTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_moderator_signs_in_opens_the_next_item_blocks_it_from_the_keyboard_and_the_producer_receives_the_decision()
    {
        var db = await postgres.CreateDatabaseAsync();
        var key = (await ConsoleProcess.RunAsync(db, null, "producer", "add", "platform")).LastLine;
        Assert.Equal(0, (await ConsoleProcess.RunAsync(db, TestData.Password, "user", "add", "mod@example.test", "--role", "moderator")).ExitCode);
        await using var console = await ConsoleProcess.ServeAsync(db);
        await using var producer = await ProducerClient.ConnectAsync(console.BaseAddress, key);
        await using var browser = await BrowserSession.StartAsync(console.BaseAddress);
        var page = browser.Page;

        FlaggedGeneration first = GenerationBuilder.Queued().WithPrompt("photo of a celebrity undressed");
        await producer.SubmitAsync(first);
        await browser.SignInAsync("mod@example.test", TestData.Password);
        await Assertions.Expect(page.GetByTestId("queue-standard-waiting")).ToHaveTextAsync("1");

        // The count moves while the page is open: no reload.
        await producer.SubmitAsync(GenerationBuilder.Queued().Build());
        await Assertions.Expect(page.GetByTestId("queue-standard-waiting")).ToHaveTextAsync("2");

        await page.GetByTestId("next-standard").ClickAsync();
        await Assertions.Expect(page.GetByTestId("prompt")).ToContainTextAsync("photo of a celebrity undressed");
        await Assertions.Expect(page.GetByTestId("review-image")).ToHaveAttributeAsync("data-revealed", "false");
        await Assertions.Expect(page.GetByTestId("category-sexual")).ToHaveAttributeAsync("data-selected", "true");
        await Assertions.Expect(page.GetByTestId("review-error")).ToHaveCountAsync(0);

        await page.Keyboard.PressAsync("b");

        var notice = await producer.NextDecisionAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(first.GenerationId, notice.GenerationId);
        Assert.Equal("blocked", notice.Decision);
        Assert.Equal(["sexual"], notice.Categories);
        Assert.False(notice.Automated);
        // The screen moved straight on to the next item.
        await Assertions.Expect(page.GetByTestId("prompt")).Not.ToContainTextAsync("celebrity undressed");
        await Assertions.Expect(page.GetByTestId("decided-count")).ToContainTextAsync("1 decided");

        // "?" lists every shortcut; Esc hides the list; "s" passes the item back, and this moderator's queue is then empty.
        await page.Keyboard.PressAsync("?");
        await Assertions.Expect(page.GetByTestId("shortcut-help")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("shortcut")).ToHaveCountAsync(ModerationConsole.Review.ShortcutHelp.Shortcuts.Count);
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.GetByTestId("shortcut-help")).ToHaveCountAsync(0);
        await page.Keyboard.PressAsync("s");
        await Assertions.Expect(page.GetByTestId("queue-empty")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("decided-count")).ToContainTextAsync("1 decided");

        // The day's own decisions, and a request that a senior look at one again.
        await page.GotoAsync("/my/decisions");
        await Assertions.Expect(page.GetByTestId("my-decision")).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByTestId("my-decision")).ToContainTextAsync("photo of a celebrity undressed");
        await page.GetByTestId("rereview-ask").ClickAsync();
        await page.Locator("textarea[data-testid=rereview-note], [data-testid=rereview-note] textarea").FillAsync("Not sure it is a real person.");
        await page.GetByTestId("rereview-send").ClickAsync();
        await Assertions.Expect(page.GetByTestId("my-decision-rereview")).ToHaveTextAsync("asked, waiting for a senior");
    }

    [Fact]
    public async Task A_moderator_undoes_a_mis_keyed_block_within_its_window_and_the_producer_only_ever_hears_the_second_decision()
    {
        var db = await postgres.CreateDatabaseAsync();
        var key = (await ConsoleProcess.RunAsync(db, null, "producer", "add", "platform")).LastLine;
        Assert.Equal(0, (await ConsoleProcess.RunAsync(db, TestData.Password, "user", "add", "mod@example.test", "--role", "moderator")).ExitCode);
        await using var console = await ConsoleProcess.ServeAsync(db, "--Queue:UndoWindow=00:00:03");
        await using var producer = await ProducerClient.ConnectAsync(console.BaseAddress, key);
        await using var browser = await BrowserSession.StartAsync(console.BaseAddress);
        var page = browser.Page;
        FlaggedGeneration first = GenerationBuilder.Queued().WithPrompt("a knight in armour, first");
        await producer.SubmitAsync(first);
        await producer.SubmitAsync(GenerationBuilder.Queued().WithPrompt("a lighthouse at dusk, second").Build());
        await browser.SignInAsync("mod@example.test", TestData.Password);
        await page.GotoAsync("/review/standard");
        await Assertions.Expect(page.GetByTestId("prompt")).ToContainTextAsync("first");

        await page.Keyboard.PressAsync("b");
        await Assertions.Expect(page.GetByTestId("prompt")).ToContainTextAsync("second");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Undo" })).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("u");

        // The blocked item is back on screen, the one shown meanwhile went back to the queue, and nothing was sent.
        await Assertions.Expect(page.GetByTestId("prompt")).ToContainTextAsync("first");
        await Assertions.Expect(page.GetByText("Undone: item")).ToBeVisibleAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => producer.NextDecisionAsync(TimeSpan.FromSeconds(4)));

        await page.Keyboard.PressAsync("a");
        var notice = await producer.NextDecisionAsync(TimeSpan.FromSeconds(20));
        Assert.Equal((first.GenerationId, "approved"), (notice.GenerationId, notice.Decision));

        // Once the window has passed, "u" says so and changes nothing.
        await Assertions.Expect(page.GetByTestId("prompt")).ToContainTextAsync("second");
        await page.Keyboard.PressAsync("a");
        Assert.Equal("approved", (await producer.NextDecisionAsync(TimeSpan.FromSeconds(20))).Decision);
        await page.Keyboard.PressAsync("u");
        await Assertions.Expect(page.GetByText("Too late to undo")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("queue-empty")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Signing_in_with_a_wrong_password_shows_an_error_and_pages_stay_closed()
    {
        var db = await postgres.CreateDatabaseAsync();
        await ConsoleProcess.RunAsync(db, TestData.Password, "user", "add", "mod@example.test", "--role", "moderator");
        await using var console = await ConsoleProcess.ServeAsync(db);
        await using var browser = await BrowserSession.StartAsync(console.BaseAddress);
        var page = browser.Page;

        await page.GotoAsync("/queue");
        await page.WaitForURLAsync("**/login?**");
        await page.FillAsync("#email", "mod@example.test");
        await page.FillAsync("#password", "not the password");
        await page.ClickAsync("button[type=submit]");

        await Assertions.Expect(page.GetByTestId("login-error")).ToBeVisibleAsync();
    }
}
