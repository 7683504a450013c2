using Microsoft.Playwright;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Browser;

/// <summary>An admin lowers a threshold in the browser, sees the what-if, saves, watches the queue shrink and the dashboard follow.</summary>
public sealed class AdminPolicyFlowTests(PostgresFixture postgres)
{
    [Fact]
    public async Task An_admin_lowers_the_auto_block_threshold_and_the_queue_count_moves()
    {
        var db = await postgres.CreateDatabaseAsync();
        var key = (await ConsoleProcess.RunAsync(db, null, "producer", "add", "platform")).LastLine;
        Assert.Equal(0, (await ConsoleProcess.RunAsync(db, TestData.Password, "user", "add", "admin@example.test", "--role", "admin")).ExitCode);
        await using var console = await ConsoleProcess.ServeAsync(db);
        await using (var producer = await ProducerClient.ConnectAsync(console.BaseAddress, key))
        {
            await producer.SubmitBatchAsync([.. new[] { 0.6, 0.65, 0.7, 0.75, 0.8 }.Select(s => new GenerationBuilder().WithScores(("sexual", s)).Build())]);
        }

        await using var browser = await BrowserSession.StartAsync(console.BaseAddress);
        var page = browser.Page;
        await browser.SignInAsync("admin@example.test", TestData.Password);
        await Assertions.Expect(page.GetByTestId("queue-standard-waiting")).ToHaveTextAsync("5");

        await page.GotoAsync("/admin/policy");
        var threshold = page.Locator("input[data-testid=block-sexual], [data-testid=block-sexual] input");
        await threshold.FillAsync("0.7");
        await threshold.PressAsync("Tab");
        await page.GetByTestId("preview").ClickAsync();
        await Assertions.Expect(page.GetByTestId("what-if-summary")).ToContainTextAsync("3 of 5 pending items would change route (3 blocked automatically");

        await page.Locator("input[data-testid=reason], [data-testid=reason] input").FillAsync("Stricter on sexual content after review");
        await page.GetByTestId("save").ClickAsync();
        await Assertions.Expect(page.GetByTestId("policy-version")).ToHaveTextAsync("version 2");
        await Assertions.Expect(page.Locator(".job-progress[data-state=succeeded]")).ToHaveCountAsync(1, new() { Timeout = 30_000 });

        await page.GotoAsync("/queue");
        await Assertions.Expect(page.GetByTestId("queue-standard-waiting")).ToHaveTextAsync("2");

        // The dashboard follows new traffic without a reload.
        await page.GotoAsync("/dashboard");
        await Assertions.Expect(page.GetByTestId("dash-waiting-standard")).ToHaveTextAsync("2");
        await using (var producer = await ProducerClient.ConnectAsync(console.BaseAddress, key))
        {
            await producer.SubmitAsync(GenerationBuilder.Queued().Build());
        }
        await Assertions.Expect(page.GetByTestId("dash-waiting-standard")).ToHaveTextAsync("3", new() { Timeout = 15_000 });
        await Assertions.Expect(page.GetByTestId("dash-automated-share")).ToContainTextAsync("of 3 decisions automated");
    }
}
