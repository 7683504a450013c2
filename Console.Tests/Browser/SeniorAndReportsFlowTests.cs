using Dapper;
using Microsoft.Playwright;
using ModerationConsole.Tests.Infrastructure;
using Npgsql;

namespace ModerationConsole.Tests.Browser;

/// <summary>
/// A senior reads an automatic block's item page (scores, the image once revealed, a note) and overturns it in the
/// browser; an auditor then sees it in the reports and exports a file.
/// </summary>
[Trait(TestKind.Trait, TestKind.Browser)]
public sealed class SeniorAndReportsFlowTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_senior_overturns_a_block_and_the_auditor_sees_the_reversal_in_the_report_and_prepares_an_export_file()
    {
        var db = await postgres.CreateDatabaseAsync();
        var key = (await ConsoleProcess.RunAsync(db, null, "producer", "add", "platform")).LastLine;
        Assert.Equal(0, (await ConsoleProcess.RunAsync(db, TestData.Password, "user", "add", "senior@example.test", "--role", "senior")).ExitCode);
        Assert.Equal(0, (await ConsoleProcess.RunAsync(db, TestData.Password, "user", "add", "audit@example.test", "--role", "auditor")).ExitCode);
        await using var console = await ConsoleProcess.ServeAsync(db);
        long itemId;
        await using (var producer = await ProducerClient.ConnectAsync(console.BaseAddress, key))
        {
            itemId = (await producer.SubmitAsync(GenerationBuilder.AutoBlocked().WithPrompt("<script>alert(1)</script> at the beach").Build())).ItemId!.Value;
            await producer.SubmitAsync(GenerationBuilder.AutoApproved().Build());
        }

        await using (var senior = await BrowserSession.StartAsync(console.BaseAddress))
        {
            var page = senior.Page;
            await senior.SignInAsync("senior@example.test", TestData.Password);
            await page.GotoAsync("/decisions");
            await page.Locator($"a[href='/items/{itemId}']").ClickAsync();
            await Assertions.Expect(page.GetByTestId("prompt")).ToContainTextAsync("<script>alert(1)</script>");
            // The item page shows the producer's scores, and the image only once revealed.
            await Assertions.Expect(page.GetByTestId("item-score-source").First).ToContainTextAsync("The producer's scores · routes");
            await Assertions.Expect(page.GetByTestId("item-image")).ToHaveAttributeAsync("data-revealed", "false");
            await page.GetByTestId("item-reveal").ClickAsync();
            await Assertions.Expect(page.GetByTestId("item-image")).ToHaveAttributeAsync("data-revealed", "true");
            Assert.True(await page.GetByTestId("item-image").EvaluateAsync<bool>("img => img.complete && img.naturalWidth > 0"));
            await page.Locator("textarea[data-testid=note-text], [data-testid=note-text] textarea").FillAsync("<i>Checked</i> with the trust lead.");
            await page.GetByTestId("note-add").ClickAsync();
            await Assertions.Expect(page.GetByTestId("item-note")).ToContainTextAsync("<i>Checked</i> with the trust lead.");
            await page.Locator("textarea[data-testid=overturn-note], [data-testid=overturn-note] textarea").FillAsync("A beach photo, nothing sexual.");
            await page.GetByTestId("overturn").ClickAsync();
            await Assertions.Expect(page.GetByTestId("item-decision")).ToHaveCountAsync(2);
            await Assertions.Expect(page.Locator("[data-testid=item-decision][data-overturned=true]")).ToHaveCountAsync(1);
        }

        await using var auditor = await BrowserSession.StartAsync(console.BaseAddress);
        var audit = auditor.Page;
        await auditor.SignInAsync("audit@example.test", TestData.Password, landing: "/audit");
        await audit.GotoAsync("/reports");
        await Assertions.Expect(audit.GetByTestId("total-reversals")).ToHaveTextAsync("1");
        await Assertions.Expect(audit.GetByTestId("total-decisions")).ToHaveTextAsync("2");
        await Assertions.Expect(audit.Locator(".mud-chart svg").First).ToBeVisibleAsync();

        await audit.GotoAsync("/audit");
        await audit.GetByRole(AriaRole.Tab, new() { Name = "Export files" }).ClickAsync();
        await Assertions.Expect(audit.GetByTestId("count-decisions")).ToHaveTextAsync("3");
        await audit.GetByTestId("prepare-decisions-csv").ClickAsync();
        await Assertions.Expect(audit.GetByTestId("download-job-file")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        var download = await audit.RunAndWaitForDownloadAsync(() => audit.GetByTestId("download-job-file").ClickAsync());
        var path = await download.PathAsync();
        var lines = (await File.ReadAllLinesAsync(path)).Where(l => l.Length > 0).ToList();
        Assert.Equal(4, lines.Count); // header and three decisions: the block, its overturn, the approval

        await using var connection = new NpgsqlConnection(db);
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'export.downloaded' and details ? 'jobId'"));
    }
}
