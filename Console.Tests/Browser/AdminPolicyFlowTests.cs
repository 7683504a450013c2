using Dapper;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using ModerationConsole.Accounts;
using ModerationConsole.Policy;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Browser;

/// <summary>An admin lowers a threshold in the browser, sees the what-if, saves, watches the queue shrink and the dashboard follow.</summary>
[Trait(TestKind.Trait, TestKind.Browser)]
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
        // Moving the threshold previews by itself, before anything is saved.
        await Assertions.Expect(page.GetByTestId("what-if-summary")).ToContainTextAsync("3 of 5 pending items would change route (3 blocked automatically");
        // Its headline also stays in view beside the buttons, wherever the page is scrolled.
        await Assertions.Expect(page.GetByTestId("what-if-inline")).ToContainTextAsync("3 of 5 pending items would change route");
        await Assertions.Expect(page.GetByTestId("what-if-inline")).ToBeInViewportAsync();
        // The checks' part of the policy is edited on the same page and saved with it.
        var checks = page.Locator("textarea[data-testid=checks], [data-testid=checks] textarea");
        await checks.FillAsync((await checks.InputValueAsync()).Replace("\"refusals\": 5", "\"refusals\": 9"));
        // So are the outcomes between approve and block: here the adults-only key moves from g to y.
        var outcomes = page.Locator("textarea[data-testid=outcomes], [data-testid=outcomes] textarea");
        await outcomes.FillAsync((await outcomes.InputValueAsync()).Replace("\"shortcut\": \"g\"", "\"shortcut\": \"y\""));

        await page.Locator("input[data-testid=reason], [data-testid=reason] input").FillAsync("Stricter on sexual content after review");
        await page.GetByTestId("save").ClickAsync();
        await Assertions.Expect(page.GetByTestId("policy-version")).ToHaveTextAsync("version 2");
        await using (var connection = new Npgsql.NpgsqlConnection(db))
            Assert.Equal(9, await connection.ExecuteScalarAsync<int>(
                "select (document->'checks'->'refusalSpike'->>'refusals')::int from policies order by version desc limit 1"));
        await using (var connection = new Npgsql.NpgsqlConnection(db))
            Assert.Equal("y", await connection.ExecuteScalarAsync<string>(
                """
                select o ->> 'shortcut' from policies, jsonb_array_elements(document -> 'outcomes') o
                where o ->> 'key' = 'approve_age_restricted' order by version desc limit 1
                """));
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
        // No person has decided anything yet: the moderators' table says so instead of showing only its headings.
        await Assertions.Expect(page.GetByTestId("dash-no-moderators")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_threshold_page_judges_a_new_threshold_by_what_people_decided_with_a_precision_recall_curve()
    {
        // A moderator blocks every item scored 0.7 or more as sexual and approves the others.
        await using var console = await TestConsole.StartAsync(postgres);
        await using (var producer = await ProducerClient.ConnectAsync(console.BaseAddress, (await console.ProducerAsync()).ApiKey))
        {
            await producer.SubmitBatchAsync([.. new[] { 0.555, 0.605, 0.655, 0.705, 0.755, 0.805, 0.855 }.Select(s => new GenerationBuilder().WithScores(("sexual", s)).Build())]);
        }
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        await console.DecideQueueAsync(moderator, (_, score) => score >= 0.7 ? ["sexual"] : []);
        var (admin, _) = await console.PersonAsync(Roles.Admin);

        await using var browser = await BrowserSession.StartAsync(console.BaseAddress);
        var page = browser.Page;
        await browser.SignInAsync(admin.Email, TestData.Password);
        await page.GotoAsync("/admin/policy");

        await page.GetByTestId("evidence-sexual").ClickAsync();
        await Assertions.Expect(page.GetByTestId("evidence-summary")).ToContainTextAsync("Judged by 7 items people decided: 7 carry this category's score, and people blocked 4");
        await Assertions.Expect(page.GetByTestId("curve-point")).ToHaveCountAsync(WhatIf.CurveThresholds(0.5).Count);
        await Assertions.Expect(page.GetByTestId("curve-point").Filter(new() { HasText = "0.70" })).ToContainTextAsync(new Regex(@"100\s?%"));
        await Assertions.Expect(page.Locator("[data-testid=evidence] svg")).Not.ToHaveCountAsync(0);

        var threshold = page.Locator("input[data-testid=block-sexual], [data-testid=block-sexual] input");
        await threshold.FillAsync("0.6");
        await threshold.PressAsync("Tab");
        await Assertions.Expect(page.GetByTestId("pr-sexual")).ToContainTextAsync("at 0.60 instead of 0.90");
        await Assertions.Expect(page.GetByTestId("pr-sexual")).ToContainTextAsync(new Regex(@"precision 67\s?% \(now —\), recall 100\s?% \(now 0\s?%\)"));
    }
}
