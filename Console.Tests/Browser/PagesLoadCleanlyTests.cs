using Microsoft.Playwright;
using ModerationConsole.Ingest;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Browser;

/// <summary>
/// Every page of the console, opened by an admin (who may open them all) in a real browser, renders without a
/// resource that fails to load or a script error: the kind of fault no flow test asserts on, since the page still works.
/// On the way, an item's page and the reviewer statistics are checked to say when there is nothing to show rather than
/// show an empty table.
/// </summary>
[Trait(TestKind.Trait, TestKind.Browser)]
public sealed class PagesLoadCleanlyTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Every_page_renders_without_a_failed_resource_or_a_script_error()
    {
        var db = await postgres.CreateDatabaseAsync();
        var key = (await ConsoleProcess.RunAsync(db, null, "producer", "add", "platform")).LastLine;
        Assert.Equal(0, (await ConsoleProcess.RunAsync(db, TestData.Password, "user", "add", "admin@example.test", "--role", "admin")).ExitCode);
        await using var console = await ConsoleProcess.ServeAsync(db);
        IngestReceipt decided, queued;
        await using (var producer = await ProducerClient.ConnectAsync(console.BaseAddress, key))
        {
            decided = await producer.SubmitAsync(GenerationBuilder.AutoBlocked().Build());
            queued = await producer.SubmitAsync(GenerationBuilder.Queued().Build());
        }
        await using var browser = await BrowserSession.StartAsync(console.BaseAddress);
        var page = browser.Page;
        var faults = new List<string>();
        // A favicon that is missing shows only here: Chromium does not report its request to Playwright.
        page.Console += (_, message) => { if (message.Type == "error") faults.Add($"{page.Url}: console error: {message.Text}"); };
        page.PageError += (_, error) => faults.Add($"{page.Url}: script error: {error}");
        page.Response += (_, response) => { if (response.Status >= 400) faults.Add($"{page.Url}: {response.Status} for {response.Url}"); };

        await browser.SignInAsync("admin@example.test", TestData.Password);
        (string Route, string Title)[] pages =
        [
            ("/queue", "Queues"), ("/wellness", "Wellness"), ("/bank", "Block bank"), ("/decisions", "Decisions"),
            ("/audit", "Audit"), ("/reports", "Reports"), ("/dashboard", "Dashboard"), ("/admin/policy", "Policy"),
            ("/admin/users", "Users"), ("/admin/producers", "Producers"), ("/admin/jobs", "Jobs"),
            ("/admin/classifiers", "Classifiers"), ($"/items/{decided.ItemId}", $"Item {decided.ItemId}"),
            ("/appeals", "Appeals"), ("/admin/notices", "Notices to users"), ("/accounts?q=nobody", "Find an account"), ("/admin/checks", "Prompt checks"),
            ("/accounts?q=user-1", "Account user-1"), // one match opens the account
            ("/my/decisions", "My decisions"), ("/rereviews", "Re-review requests"), ("/not-found", "Not found"),
            ("/cases", "Cases"), ("/holds", "Legal holds"), ("/removals", "Removal requests"), ("/admin/retention", "Retention"), ("/admin/opt-outs", "Opt-outs"),
            ("/review/standard", "Review"),
        ];
        foreach (var (route, title) in pages)
        {
            await page.GotoAsync(route);
            await Assertions.Expect(page).ToHaveTitleAsync($"{title} · Moderation Console");
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        }
        // The review page got as far as the item and its image, not an empty queue.
        await Assertions.Expect(page.GetByTestId("prompt")).ToBeVisibleAsync();
        // An item nobody has decided yet says so where its decisions would be.
        await page.GotoAsync($"/items/{queued.ItemId}");
        await Assertions.Expect(page.GetByTestId("item-no-decision")).ToBeVisibleAsync();
        await page.GotoAsync($"/items/{decided.ItemId}");
        await Assertions.Expect(page.GetByTestId("item-decision")).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByTestId("item-no-decision")).ToHaveCountAsync(0);
        // The jobs dashboard runs under the same script policy without a violation (faults collects them as console errors).
        await page.GotoAsync("/hangfire");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        // Only automation has decided anything: no reviewer to show.
        await page.GotoAsync("/reports");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Reviewer statistics" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("reviewer-none")).ToBeVisibleAsync();

        Assert.True(faults.Count == 0, string.Join(Environment.NewLine, faults));
    }
}
