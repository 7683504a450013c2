using System.Text.Json;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit.Reports;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Review;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Audit;

/// <summary>Reviewer statistics and the transparency report, checked against counts taken directly from the tables.</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class ReportTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestConsole console = null!;
    private readonly ReportPeriod today = ReportPeriod.LastDays(1, DateTimeOffset.UtcNow);

    public async ValueTask InitializeAsync()
    {
        console = await TestConsole.StartAsync(postgres);
        var producer = await console.ProducerAsync();
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey);
        await client.SubmitBatchAsync(
        [
            GenerationBuilder.AutoBlocked().WithJurisdiction("FR").Build(),
            GenerationBuilder.AutoBlocked().WithJurisdiction("DE").Build(),
            GenerationBuilder.AutoApproved().Build(),
            GenerationBuilder.Queued().WithJurisdiction("FR").Build(),
            GenerationBuilder.Queued().Build(),
            GenerationBuilder.Queued().Build(),
        ]);

        // One moderator decides the three queued items: two blocks and an approval; a senior overturns one block.
        var (_, moderator) = await console.PersonAsync(Roles.Moderator, "mod@example.org");
        var (_, senior) = await console.PersonAsync(Roles.Senior, "senior@example.org");
        var claims = console.Service<ClaimService>();
        var actions = console.Service<ReviewActions>();
        for (var i = 0; i < 3; i++)
        {
            var claim = (await claims.ClaimNextAsync(moderator, Queues.Standard))!;
            if (i < 2) await actions.BlockAsync(moderator, claim, i == 0 ? ["sexual"] : ["violence"], null);
            else await actions.ApproveAsync(moderator, claim, null);
        }
        await using var connection = await console.OpenConnectionAsync();
        var firstHumanBlock = await connection.ExecuteScalarAsync<long>("select min(id) from decisions where not automated and decision = 'blocked'");
        await console.Service<Overturns>().OverturnAsync(senior, firstHumanBlock, "approved", [], "Not sexual content.");
    }

    public async ValueTask DisposeAsync() => await console.DisposeAsync();

    [Fact]
    public async Task Reviewer_statistics_count_items_medians_and_overturns_per_moderator()
    {
        var rows = await console.Service<ReviewerStatistics>().ForAsync(today);

        var moderator = rows.Single(r => r.Moderator == "mod@example.org");
        Assert.Equal(3, moderator.Items);
        Assert.Equal(3, moderator.Decisions);
        Assert.Equal(2, moderator.Blocked);
        Assert.Equal(1, moderator.Overturned);
        Assert.Equal(1.0 / 3, moderator.OverturnRate, 6);
        Assert.NotNull(moderator.MedianHandlingSeconds);

        await using var connection = await console.OpenConnectionAsync();
        var seconds = (await connection.QueryAsync<double>(
            """
            select extract(epoch from d.decided_at - r.received_at)::float8 from decisions d join review_items r on r.id = d.item_id
            join users u on u.id = d.decided_by where u.email = 'mod@example.org' order by 1
            """)).ToList();
        Assert.Equal(seconds[1], moderator.MedianSecondsToDecision!.Value, 3);

        var senior = rows.Single(r => r.Moderator == "senior@example.org");
        Assert.Equal(1, senior.OverturnsMade);
        Assert.Equal(0, senior.Overturned);
    }

    [Fact]
    public async Task The_transparency_report_matches_a_direct_count_of_first_decisions()
    {
        var report = await console.Service<TransparencyReports>().ForAsync(today);

        await using var connection = await console.OpenConnectionAsync();
        var firsts = (await connection.QueryAsync<(string Decision, string[] Categories, bool Automated, string? Jurisdiction)>(
            "select d.decision, d.categories, d.automated, r.jurisdiction from decisions d join review_items r on r.id = d.item_id where d.overturns is null")).ToList();
        Assert.Equal(firsts.Count, report.Decisions);
        Assert.Equal(firsts.Count(f => f.Decision == "blocked"), report.Restrictions);
        Assert.Equal(firsts.Count(f => f.Automated), report.AutomatedDecisions);
        Assert.Equal(firsts.Count(f => !f.Automated), report.HumanDecisions);
        Assert.Equal(1, report.Reversals);
        foreach (var row in report.ByCategory)
        {
            var blocks = firsts.Where(f => f.Decision == "blocked" && f.Categories.Contains(row.Category)).ToList();
            Assert.Equal(blocks.Count, row.Restrictions);
            Assert.Equal(blocks.Count(b => b.Automated), row.Automated);
            Assert.Equal(blocks.Count(b => !b.Automated), row.Human);
        }
        Assert.Equal(firsts.Where(f => f.Decision == "blocked").SelectMany(f => f.Categories).Distinct().Order(),
            report.ByCategory.Select(c => c.Category).Order());
        Assert.Equal(firsts.Count(f => f.Jurisdiction == "FR" && f.Decision == "blocked"), report.ByTerritory.Single(t => t.Territory == "FR").Restrictions);
    }

    [Fact]
    public async Task The_reports_download_as_csv_and_json_for_auditors_and_each_download_is_audited()
    {
        using var auditor = await console.ClientAsync(Roles.Auditor);
        using var moderator = await console.ClientAsync(Roles.Moderator);

        var json = JsonDocument.Parse(await auditor.GetStringAsync("/audit/reports/transparency.json")).RootElement;
        var csv = await auditor.GetStringAsync("/audit/reports/reviewers.csv");
        var refused = await moderator.GetAsync("/audit/reports/reviewers.csv");
        var badPeriod = await auditor.GetAsync("/audit/reports/reviewers.json?from=yesterday");

        Assert.Equal(1, json.GetProperty("report").GetProperty("reversals").GetInt64());
        Assert.StartsWith("moderator,role,items,decisions", csv);
        Assert.Contains("mod@example.org,moderator,3,3,2,", csv);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("\"field\":\"from\"", await badPeriod.Content.ReadAsStringAsync());
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'export.downloaded' and details ? 'report'"));
    }
}
