using Dapper;
using Microsoft.Playwright;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Heads;
using ModerationConsole.Scoring;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Browser;

/// <summary>
/// An admin on /admin/classifiers reviews a trained head version's figures, puts it in shadow mode, reads how routing
/// would have differed, activates it and rolls it back, each an audited click.
/// </summary>
[Trait(TestKind.Trait, TestKind.Browser)]
public sealed class HeadVersionFlowTests(PostgresFixture postgres)
{
    private const int Dimensions = 4;

    [Fact]
    public async Task An_admin_shadows_a_head_version_sees_the_routing_it_would_change_activates_it_and_rolls_it_back()
    {
        await using var console = await TestConsole.StartAsync(postgres);
        await using (var producer = await ProducerClient.ConnectAsync(console.BaseAddress, (await console.ProducerAsync()).ApiKey))
            await producer.SubmitBatchAsync([GenerationBuilder.Queued().Build(), GenerationBuilder.Queued().Build(), GenerationBuilder.Queued().Build()]);
        var head = new LinearHead("hate", [1f, 0f, 0f, 0f], 0f);
        var metrics = new[]
        {
            new HeadCategoryMetrics("hate", 300, 700, 75, 175, 0.962, 0.9, 0.8, 0.9, "auto-block", 0.93, 0.61, 5,
                DateTimeOffset.Parse("2026-10-01T00:00:00Z"), DateTimeOffset.Parse("2026-12-01T00:00:00Z"), [new CalibrationBin(0.9, 0.85, 80)], false),
            HeadCategoryMetrics.NotTrained("violence", 12, 700, 2, "12 blocks for it; 200 needed"),
        };
        await console.Service<ClassifierStore>().RegisterAsync(
            HeadExport.Manifest(HeadTraining.ModelName, "1", "nsfwjs-mobilenet-v2@4.4.0-features", Dimensions, [head], "test"),
            HeadExport.ToOnnx([head], Dimensions), storeBytes: true, metrics, Actor.Console, null);
        // What the version scored while in shadow: two items over the policy's auto-block score for hate, one under.
        await using var db = await console.OpenConnectionAsync();
        await db.ExecuteAsync(
            """
            insert into item_scores (item_id, source, category, score)
            select id, 'image-heads@1', 'hate', case when row_number() over (order by id) <= 2 then 0.95 else 0.1 end from review_items
            """);
        var (admin, _) = await console.PersonAsync(Roles.Admin);
        await using var browser = await BrowserSession.StartAsync(console.BaseAddress);
        var page = browser.Page;
        await browser.SignInAsync(admin.Email, TestData.Password);
        await page.GotoAsync("/admin/classifiers");

        await Assertions.Expect(page.GetByTestId("head-auc")).ToHaveTextAsync("0.962");
        await Assertions.Expect(page.GetByTestId("head-skipped")).ToContainTextAsync("12 blocks for it; 200 needed");
        await page.GetByTestId("shadow-image-heads-1").ClickAsync();
        await Assertions.Expect(page.GetByTestId("shadow-chip")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("shadow-change")).ToContainTextAsync("2 × queued (standard) → auto_blocked");

        await page.GetByTestId("activate-image-heads-1").ClickAsync();
        await Assertions.Expect(page.GetByTestId("rollback-image-heads-1")).ToContainTextAsync("Roll back (deactivate)");
        await Assertions.Expect(page.GetByTestId("shadow-chip")).ToHaveCountAsync(0);
        await page.GetByTestId("rollback-image-heads-1").ClickAsync();
        await Assertions.Expect(page.GetByTestId("activate-image-heads-1")).ToBeVisibleAsync();

        Assert.Equal(["classifier.shadowed", "classifier.activated", "classifier.rolled_back"], await db.QueryAsync<string>(
            "select action from audit_log where action in ('classifier.shadowed', 'classifier.activated', 'classifier.rolled_back') and actor_kind = 'user' and actor_id = @Id order by id",
            new { Id = admin.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
    }
}
