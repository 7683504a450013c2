using Microsoft.Playwright;
using ModerationConsole.Ingest;
using ModerationConsole.Policy;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Browser;

/// <summary>A moderator presses the adults-only key; a producer that declared outcomes receives the approval with its marking.</summary>
[Trait(TestKind.Trait, TestKind.Browser)]
public sealed class OutcomeFlowTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_age_restrict_key_sends_an_approval_the_platform_must_gate_and_mark()
    {
        var db = await postgres.CreateDatabaseAsync();
        var key = (await ConsoleProcess.RunAsync(db, null, "producer", "add", "platform")).LastLine;
        Assert.Equal(0, (await ConsoleProcess.RunAsync(db, TestData.Password, "user", "add", "mod@example.test", "--role", "moderator")).ExitCode);
        await using var console = await ConsoleProcess.ServeAsync(db);
        using (var http = ProducerClient.Http(console.BaseAddress, key))
            (await http.PostAsync("/api/v1/capabilities",
                new StringContent("""{"outcomes": true}""", System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        await using var producer = await ProducerClient.ConnectAsync(console.BaseAddress, key);
        FlaggedGeneration item = GenerationBuilder.Queued().WithLanguage("fr");
        await producer.SubmitAsync(item);

        await using var browser = await BrowserSession.StartAsync(console.BaseAddress);
        var page = browser.Page;
        await browser.SignInAsync("mod@example.test", TestData.Password);
        await page.GetByTestId("next-standard").ClickAsync();
        await Assertions.Expect(page.GetByTestId($"outcome-{Outcomes.AgeRestricted}")).ToContainTextAsync("Adults only");
        await page.Keyboard.PressAsync("?");
        await Assertions.Expect(page.GetByTestId("shortcut-outcome").First).ToContainTextAsync("g");
        await page.Keyboard.PressAsync("Escape");
        await page.Keyboard.PressAsync("g");

        var notice = await producer.NextDecisionAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(item.GenerationId, notice.GenerationId);
        Assert.Equal(("approved", Outcomes.AgeRestricted), (notice.Decision, notice.Outcome));
        Assert.True(notice.Marking!.AgeRestricted);
        Assert.Equal(ModerationConsole.Decisions.Marking.TrainedAlgorithmicMedia, notice.Marking.IptcDigitalSourceType);
        await Assertions.Expect(page.GetByTestId("decided-count")).ToContainTextAsync("1 decided");
    }
}
