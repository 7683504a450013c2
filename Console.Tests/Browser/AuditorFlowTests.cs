using Dapper;
using Microsoft.Playwright;
using ModerationConsole.Tests.Infrastructure;
using Npgsql;

namespace ModerationConsole.Tests.Browser;

/// <summary>An auditor in a real browser: lands on the audit pages, filters decisions, verifies the chain.</summary>
[Trait(TestKind.Trait, TestKind.Browser)]
public sealed class AuditorFlowTests(PostgresFixture postgres)
{
    [Fact]
    public async Task An_auditor_searches_decisions_and_verifies_the_log_and_a_tampered_log_is_named()
    {
        var db = await postgres.CreateDatabaseAsync();
        var key = (await ConsoleProcess.RunAsync(db, null, "producer", "add", "platform")).LastLine;
        Assert.Equal(0, (await ConsoleProcess.RunAsync(db, TestData.Password, "user", "add", "audit@example.test", "--role", "auditor")).ExitCode);
        await using var console = await ConsoleProcess.ServeAsync(db);
        await using (var producer = await ProducerClient.ConnectAsync(console.BaseAddress, key))
        {
            await producer.SubmitBatchAsync(
            [
                GenerationBuilder.AutoBlocked().WithUser("repeat-offender").Build(),
                GenerationBuilder.AutoBlocked().WithUser("someone-else").Build(),
                // A script in user-supplied text must stay text on the auditor's screen.
                GenerationBuilder.AutoApproved().WithUser("<img src=x onerror=alert(1)>").Build(),
            ]);
        }
        await using var browser = await BrowserSession.StartAsync(console.BaseAddress);
        var page = browser.Page;

        await browser.SignInAsync("audit@example.test", TestData.Password, landing: "/audit");
        await Assertions.Expect(page.GetByTestId("decision-row")).ToHaveCountAsync(3);
        await Assertions.Expect(page.GetByTestId("decisions")).ToContainTextAsync("<img src=x onerror=alert(1)>");

        await page.Locator("input[data-testid=filter-user], [data-testid=filter-user] input").FillAsync("repeat-offender");
        await page.GetByTestId("search").ClickAsync();
        await Assertions.Expect(page.GetByTestId("decision-row")).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByTestId("decision-row")).ToContainTextAsync("repeat-offender");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Verify the chain" }).ClickAsync();
        await page.GetByTestId("verify").ClickAsync();
        await Assertions.Expect(page.GetByTestId("verify-result")).ToContainTextAsync("intact");

        long victim;
        await using (var connection = new NpgsqlConnection(PostgresFixture.AsOwner(db)))
        {
            await connection.OpenAsync();
            victim = await connection.ExecuteScalarAsync<long>("select min(entry_id) from audit_chain");
            await using var tamper = await connection.BeginTransactionAsync();
            await connection.ExecuteAsync("set local session_replication_role = replica; update audit_log set action = 'nothing.happened' where id = @victim",
                new { victim }, tamper);
            await tamper.CommitAsync();
        }
        await page.GetByTestId("verify").ClickAsync();
        await Assertions.Expect(page.GetByTestId("verify-result")).ToContainTextAsync($"entry #{victim}");
    }

    [Fact]
    public async Task An_auditor_is_refused_the_queues_and_a_moderator_the_audit_pages()
    {
        var db = await postgres.CreateDatabaseAsync();
        Assert.Equal(0, (await ConsoleProcess.RunAsync(db, TestData.Password, "user", "add", "audit@example.test", "--role", "auditor")).ExitCode);
        Assert.Equal(0, (await ConsoleProcess.RunAsync(db, TestData.Password, "user", "add", "mod@example.test", "--role", "moderator")).ExitCode);
        await using var console = await ConsoleProcess.ServeAsync(db);

        await using (var auditor = await BrowserSession.StartAsync(console.BaseAddress))
        {
            await auditor.SignInAsync("audit@example.test", TestData.Password, landing: "/audit");
            await auditor.Page.GotoAsync("/queue");
            await auditor.Page.WaitForURLAsync("**/denied**");
        }
        await using var moderator = await BrowserSession.StartAsync(console.BaseAddress);
        await moderator.SignInAsync("mod@example.test", TestData.Password);
        await moderator.Page.GotoAsync("/audit");
        await moderator.Page.WaitForURLAsync("**/denied**");
    }
}
