using Dapper;
using Microsoft.Playwright;
using ModerationConsole.Cases;
using ModerationConsole.Tests.Hashing;
using ModerationConsole.Tests.Infrastructure;
using Npgsql;

namespace ModerationConsole.Tests.Browser;

/// <summary>
/// A senior confirms a sexual_minors block from the escalation queue; a case appears; the specialist prepares and
/// downloads the CyberTipline package, enters NCMEC's report id, and downloads an evidence bundle that verifies.
/// </summary>
[Trait(TestKind.Trait, TestKind.Browser)]
public sealed class CaseFlowTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_confirmed_child_safety_block_becomes_a_reported_case_with_a_verified_evidence_bundle()
    {
        var db = await postgres.CreateDatabaseAsync();
        var key = (await ConsoleProcess.RunAsync(db, null, "producer", "add", "platform")).LastLine;
        Assert.Equal(0, (await ConsoleProcess.RunAsync(db, TestData.Password, "user", "add", "senior@example.test", "--role", "senior")).ExitCode);
        Assert.Equal(0, (await ConsoleProcess.RunAsync(db, TestData.Password, "user", "add", "specialist@example.test", "--role", "specialist")).ExitCode);
        await using var console = await ConsoleProcess.ServeAsync(db, "--Cases:Reporter:Email=legal@platform.example");
        await using var producer = await ProducerClient.ConnectAsync(console.BaseAddress, key);
        using var picture = TestPictures.Draw(seed: 701);
        await producer.SubmitAsync(GenerationBuilder.Escalated().WithUser("user-cs").WithImage(TestPictures.Png(picture)).Build());

        await using (var senior = await BrowserSession.StartAsync(console.BaseAddress))
        {
            var page = senior.Page;
            await senior.SignInAsync("senior@example.test", TestData.Password);
            await page.GetByTestId("next-escalation").ClickAsync();
            await Assertions.Expect(page.GetByTestId("category-sexual_minors")).ToHaveAttributeAsync("data-selected", "true");
            await page.Keyboard.PressAsync("b");
            var notice = await producer.NextDecisionAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(["sexual_minors"], notice.Categories);
        }

        await using var specialist = await BrowserSession.StartAsync(console.BaseAddress);
        var cases = specialist.Page;
        await specialist.SignInAsync("specialist@example.test", TestData.Password);
        await Eventually.TrueAsync(async () =>
        {
            await cases.GotoAsync("/cases");
            return await cases.GetByTestId("case-row").CountAsync() == 1;
        }, () => "no case appeared for the confirmed block");
        await Assertions.Expect(cases.GetByTestId("case-row")).ToHaveAttributeAsync("data-kind", "child_safety");
        await cases.GetByTestId("case-link").ClickAsync();
        await Assertions.Expect(cases.GetByTestId("case-status")).ToHaveTextAsync("draft");
        await Assertions.Expect(cases.GetByTestId("case-item")).ToHaveCountAsync(1);
        await Assertions.Expect(cases.GetByTestId("case-hold")).ToContainTextAsync("the console");

        await cases.GetByTestId("case-prepare").ClickAsync();
        await Assertions.Expect(cases.GetByTestId("case-status")).ToHaveTextAsync("ready");
        var package = await cases.RunAndWaitForDownloadAsync(() => cases.GetByTestId("case-package").ClickAsync());
        using (var archive = System.IO.Compression.ZipFile.OpenRead(await package.PathAsync()))
        {
            Assert.Contains(archive.Entries, e => e.FullName == "report.xml");
            Assert.Single(archive.Entries, e => e.FullName.EndsWith(".fileDetails.xml"));
        }

        await cases.Locator("input[data-testid=case-report-id], [data-testid=case-report-id] input").FillAsync("190000001");
        await cases.GetByTestId("case-reported").ClickAsync();
        await Assertions.Expect(cases.GetByTestId("case-status")).ToHaveTextAsync("reported");
        await Assertions.Expect(cases.GetByTestId("case-sealed")).ToBeVisibleAsync();
        var bundle = await cases.RunAndWaitForDownloadAsync(() => cases.GetByTestId("case-bundle").ClickAsync());
        await using var bytes = File.OpenRead(await bundle.PathAsync());
        var verification = BundleVerifier.Verify(bytes);
        Assert.True(verification.Intact, string.Join("; ", verification.Problems));

        // The senior who confirmed the block no longer sees the image on the item page.
        await using (var senior = await BrowserSession.StartAsync(console.BaseAddress))
        {
            await senior.SignInAsync("senior@example.test", TestData.Password);
            await senior.Page.GotoAsync($"/items/{await ItemOfCaseAsync(db, verification.CaseId!.Value)}");
            await Assertions.Expect(senior.Page.GetByTestId("item-image-withheld")).ToBeVisibleAsync();
            await Assertions.Expect(senior.Page.GetByTestId("item-image")).ToHaveCountAsync(0);
        }

        await using var connection = new NpgsqlConnection(db);
        Assert.Equal(verification.ManifestSha256, await connection.ExecuteScalarAsync<string>(
            "select details ->> 'manifestSha256' from audit_log where action = 'case.sealed'"));
    }

    private static async Task<long> ItemOfCaseAsync(string db, long caseId)
    {
        await using var connection = new NpgsqlConnection(db);
        return await connection.ExecuteScalarAsync<long>("select item_id from case_items where case_id = @caseId", new { caseId });
    }
}
