using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Dashboard;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Review;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Dashboard;

/// <summary>The dashboard's figures on a real database: score drift between weeks and moderators' agreement with seniors.</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class DashboardTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres)
{
    [Fact]
    public void The_stability_index_is_zero_for_the_same_distribution_and_grows_with_the_shift()
    {
        Assert.Equal(0, ScoreDrift.PopulationStabilityIndex([10, 20, 30], [20, 40, 60]), 12);
        // (0.9 − 0.5)·ln(0.9/0.5) + (0.1 − 0.5)·ln(0.1/0.5)
        Assert.Equal(0.4 * Math.Log(1.8) - 0.4 * Math.Log(0.2), ScoreDrift.PopulationStabilityIndex([50, 50], [90, 10]), 12);
    }

    [Fact]
    public async Task A_category_whose_scores_moved_this_week_is_flagged_and_a_steady_one_is_not()
    {
        // 60 items last week and 60 this week; "violence" scores climb from ~0.1 to ~0.45, "hate" stays near 0.2.
        var lastWeek = await IngestAsync(60, i => 0.05 + i % 10 * 0.01, i => 0.15 + i % 10 * 0.01);
        await IngestAsync(60, i => 0.40 + i % 10 * 0.01, i => 0.15 + i % 10 * 0.01);
        await using (var connection = await console.OpenConnectionAsync())
            await connection.ExecuteAsync("update review_items set received_at = now() - interval '10 days' where id = any(@lastWeek)", new { lastWeek });

        var drift = await console.Service<DashboardReader>().DriftAsync();

        var violence = drift.Single(d => d is { Source: "upstream", Category: "violence" });
        var hate = drift.Single(d => d is { Source: "upstream", Category: "hate" });
        Assert.Equal((60, 60), (violence.LastWeekCount, violence.ThisWeekCount));
        Assert.Equal("shifted", violence.Verdict);
        Assert.Equal("stable", hate.Verdict);
    }

    [Fact]
    public async Task Agreement_is_the_share_of_re_reviewed_decisions_seniors_confirmed()
    {
        await IngestAsync(3, _ => 0.6, _ => 0.0);
        var (_, moderator) = await console.PersonAsync(Roles.Moderator, "mod@example.org");
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        while (await console.Service<ClaimService>().ClaimNextAsync(moderator, Queues.Standard) is { } claim)
            await console.Service<ReviewActions>().ApproveAsync(moderator, claim, null);
        await using var connection = await console.OpenConnectionAsync();
        var ids = (await connection.QueryAsync<long>("select id from decisions order by id")).ToList();

        await console.Service<Overturns>().ConfirmAsync(senior, ids[0]);
        await console.Service<Overturns>().OverturnAsync(senior, ids[1], "blocked", ["violence"], "The knife is real.");

        var activity = (await console.Service<DashboardReader>().ModeratorsAsync()).Single(m => m.Moderator == "mod@example.org");
        Assert.Equal(3, activity.LastDay);
        Assert.Equal(2, activity.ReReviewed);
        Assert.Equal(0.5, activity.Agreement);
    }

    private async Task<long[]> IngestAsync(int count, Func<int, double> violence, Func<int, double> hate)
    {
        var receipts = await producer.SubmitBatchAsync(Enumerable.Range(0, count)
            .Select(i => new GenerationBuilder().WithScores(("violence", violence(i)), ("hate", hate(i)), ("sexual", 0.6)).Build()).ToArray());
        return receipts.Select(r => r.ItemId!.Value).ToArray();
    }
}
