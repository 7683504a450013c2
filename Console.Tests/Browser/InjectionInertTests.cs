using Microsoft.Playwright;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Browser;

/// <summary>Script and markup in a producer's text reach the moderator's screen as text: nothing runs, nothing hides.</summary>
[Trait(TestKind.Trait, TestKind.Browser)]
public sealed class InjectionInertTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Injected_script_in_the_prompt_and_metadata_stays_inert_on_the_review_screen()
    {
        var db = await postgres.CreateDatabaseAsync();
        var key = (await ConsoleProcess.RunAsync(db, null, "producer", "add", "platform")).LastLine;
        Assert.Equal(0, (await ConsoleProcess.RunAsync(db, TestData.Password, "user", "add", "mod@example.test", "--role", "moderator")).ExitCode);
        await using var console = await ConsoleProcess.ServeAsync(db);
        const string Prompt = "<script>window.pwned = 1</script><img src=x onerror=\"window.pwned = 2\"> a beach \u202Eexe.gpj";
        await using (var producer = await ProducerClient.ConnectAsync(console.BaseAddress, key))
        {
            await producer.SubmitAsync(GenerationBuilder.Queued().WithPrompt(Prompt)
                .WithMetadata(new() { ["caption"] = "<b onmouseover=\"window.pwned = 3\">hover me</b>" }).Build());
        }
        await using var browser = await BrowserSession.StartAsync(console.BaseAddress);
        var page = browser.Page;
        var dialogs = 0;
        page.Dialog += (_, dialog) => { dialogs++; _ = dialog.DismissAsync(); };

        await browser.SignInAsync("mod@example.test", TestData.Password);
        await page.GetByTestId("next-standard").ClickAsync();
        var prompt = page.GetByTestId("prompt");
        await Assertions.Expect(prompt).ToContainTextAsync("<script>window.pwned = 1</script>");
        await page.GetByText("hover me", new() { Exact = false }).First.HoverAsync();

        Assert.Equal(0, await prompt.Locator("script, img").CountAsync());
        await Assertions.Expect(prompt.Locator(".invisible-char")).ToHaveTextAsync("⟨U+202E⟩");
        Assert.Equal("none", await page.EvaluateAsync<string>("() => String(window.pwned ?? 'none')"));
        Assert.Equal(0, dialogs);
    }
}
