using System.Net.Http.Json;
using Microsoft.Playwright;
using ModerationConsole.Appeals;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Browser;

/// <summary>
/// The account level in the browser: a moderator blocks three generations of one user, the account is restricted and
/// the platform told; the user appeals; a senior overturns on appeal; the restriction is lifted and the platform told.
/// </summary>
[Trait(TestKind.Trait, TestKind.Browser)]
public sealed class AccountAndAppealFlowTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Three_blocks_restrict_the_account_an_appeal_overturned_by_a_senior_lifts_it_and_the_platform_hears_both()
    {
        var db = await postgres.CreateDatabaseAsync();
        var key = (await ConsoleProcess.RunAsync(db, null, "producer", "add", "platform")).LastLine;
        Assert.Equal(0, (await ConsoleProcess.RunAsync(db, TestData.Password, "user", "add", "mod@example.test", "--role", "moderator")).ExitCode);
        Assert.Equal(0, (await ConsoleProcess.RunAsync(db, TestData.Password, "user", "add", "senior@example.test", "--role", "senior")).ExitCode);
        await using var console = await ConsoleProcess.ServeAsync(db);
        await using var producer = await ProducerClient.ConnectAsync(console.BaseAddress, key);
        await producer.SubmitBatchAsync(Enumerable.Range(0, 3)
            .Select(i => (object)GenerationBuilder.Queued().WithUser("zoe").WithLanguage("de").WithPrompt($"<b>nude</b> portrait {i}").Build()));

        await using (var moderator = await BrowserSession.StartAsync(console.BaseAddress))
        {
            var page = moderator.Page;
            await moderator.SignInAsync("mod@example.test", TestData.Password);
            await page.GetByTestId("next-standard").ClickAsync();
            string? previous = null;
            for (var i = 1; i <= 3; i++)
            {
                // The next item is on screen (all three read "portrait"), not the one just decided.
                if (previous is not null) await Assertions.Expect(page.GetByTestId("prompt")).Not.ToHaveTextAsync(previous);
                await Assertions.Expect(page.GetByTestId("prompt")).ToContainTextAsync("portrait");
                previous = await page.GetByTestId("prompt").TextContentAsync();
                await page.Keyboard.PressAsync("b");
                await Assertions.Expect(page.GetByTestId("decided-count")).ToContainTextAsync($"{i} decided");
            }

            await page.GetByTestId("account-search").FillAsync("zoe");
            await page.GetByTestId("account-search").PressAsync("Enter");
            await Assertions.Expect(page.GetByTestId("account-status")).ToHaveTextAsync("restricted");
            await Assertions.Expect(page.Locator("[data-testid=account-enforcement][data-action=restrict][data-state=in_force]")).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator("[data-testid=account-strike][data-active=true]")).ToHaveCountAsync(3);
            await Assertions.Expect(page.Locator("[data-testid=account-item]").First).ToContainTextAsync("<b>nude</b> portrait");
            await Assertions.Expect(page.Locator("[data-testid=account-notice][data-kind=enforcement_applied]")).ToHaveCountAsync(2);
            await Assertions.Expect(page.GetByTestId("lift")).ToHaveCountAsync(0); // lifting early is for seniors
        }

        UserNoticeOf(await producer.NextUserNoticeAsync(), "warn");
        var restricted = UserNoticeOf(await producer.NextUserNoticeAsync(), "restrict");
        Assert.Equal("Einige Funktionen Ihres Kontos sind eingeschränkt", restricted.Statement.Title);
        var decisions = new[] { await producer.NextDecisionAsync(), await producer.NextDecisionAsync(), await producer.NextDecisionAsync() };
        using (var http = ProducerClient.Http(console.BaseAddress, key))
        {
            var receipt = await (await http.PostAsJsonAsync("/api/v1/appeals", new
            {
                appealId = "zoe-1", userId = "zoe", decisionCursor = decisions[^1].Cursor, statement = "Das ist ein Akt im Stil von <i>Klimt</i>.", language = "de",
            })).Content.ReadFromJsonAsync<AppealReceipt>();
            Assert.Equal("received", receipt!.Status);
        }

        await using (var senior = await BrowserSession.StartAsync(console.BaseAddress))
        {
            var page = senior.Page;
            await senior.SignInAsync("senior@example.test", TestData.Password);
            await page.GotoAsync("/appeals");
            await Assertions.Expect(page.GetByTestId("appeals-pending")).ToContainTextAsync("1 pending");
            await page.GetByTestId("appeal-next").ClickAsync();
            await Assertions.Expect(page.GetByTestId("appeal-statement")).ToHaveTextAsync("Das ist ein Akt im Stil von <i>Klimt</i>.");
            await Assertions.Expect(page.GetByTestId("appeal-decision")).ToContainTextAsync("blocked sexual");
            await Assertions.Expect(page.GetByTestId("appeal-scores")).ToContainTextAsync("sexual 0.60");
            await page.GetByTestId("appeal-overturn").ClickAsync();
            await page.Locator("[data-testid=appeal-note] textarea, textarea[data-testid=appeal-note]").FillAsync("Ein Kunstzitat, keine sexuellen Inhalte.");
            await page.GetByTestId("appeal-decide").ClickAsync();
            await Assertions.Expect(page.GetByTestId("appeal-done")).ToContainTextAsync("overturned");

            await page.GotoAsync("/accounts?q=zoe");
            await Assertions.Expect(page.GetByTestId("account-status")).ToHaveTextAsync("warned");
            await Assertions.Expect(page.Locator("[data-testid=account-enforcement][data-action=restrict][data-state=lifted]")).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator("[data-testid=account-appeal][data-outcome=overturned]")).ToHaveCountAsync(1);
        }

        var lifted = await producer.NextUserNoticeAsync();
        Assert.Equal(("enforcement_lifted", restricted.Enforcement!.EnforcementId), (lifted.Kind, lifted.Enforcement!.EnforcementId));
        var answered = await producer.NextUserNoticeAsync();
        Assert.Equal(("appeal_decided", "overturned"), (answered.Kind, answered.Appeal!.Outcome));
        Assert.Equal("Ihrer Beschwerde wurde stattgegeben", answered.Statement.Title);
        Assert.Equal(decisions[^1].Cursor, (await producer.NextDecisionAsync()).Overturns);
    }

    private static ModerationConsole.Enforcement.UserNotice UserNoticeOf(ModerationConsole.Enforcement.UserNotice notice, string action)
    {
        Assert.Equal(("enforcement_applied", action), (notice.Kind, notice.Enforcement!.Action));
        return notice;
    }
}
