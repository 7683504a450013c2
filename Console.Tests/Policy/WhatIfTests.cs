using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Jobs;
using ModerationConsole.Policy;
using ModerationConsole.Review;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Policy;

/// <summary>
/// The what-if numbers on a seeded database of 400 items from four jurisdictions and four user tiers, the first 200 decided
/// by people (a few decisions overturned), checked against brute-force SQL counts that spell the proposed policy out by
/// hand: a stricter sexual threshold in the EU and real-person likenesses blocked sooner unless the user is verified.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class WhatIfTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres)
{
    private const int Items = 400, DecidedByPeople = 200;
    private static readonly string?[] Jurisdictions = ["DE", "FR", "US", null];
    private static readonly string?[] Tiers = ["free", "verified", null, "premium"];

    /// <summary>The effective auto-block threshold of each item under <see cref="Proposed"/> (base sexual threshold @sexualAt), in SQL.</summary>
    private const string ProposedThreshold =
        """
        case s.category
            when 'sexual' then case when r.jurisdiction in ('DE', 'FR') then 0.7 else @sexualAt end
            when 'real_person' then case when r.user_tier is distinct from 'verified' then 0.75 else 0.97 end
        end
        """;

    /// <summary>Standing decisions people took, with the one score the item carries and the proposed threshold for it.</summary>
    private const string DecidedByPeopleSql =
        $"""
        select s.category, s.score::float8 as score, {ProposedThreshold} as threshold,
               d.decision = 'blocked' and s.category = any(d.categories) as blocked
        from decisions d
        join review_items r on r.id = d.item_id
        join item_scores s on s.item_id = r.id
        where not d.automated and not exists (select 1 from decisions o where o.overturns = d.id)
        """;

    private PolicyDocument active = null!;

    private PolicyDocument Proposed(double sexualAt = 0.85) => active with
    {
        Categories = active.Categories.Select(c => c.Name == "sexual" ? c with { AutoBlockAt = sexualAt } : c).ToList(),
        Overrides =
        [
            new PolicyOverride { Category = "sexual", Jurisdictions = ["DE", "FR"], AutoBlockAt = 0.7, Note = "stricter in the EU" },
            new PolicyOverride { Category = "real_person", ExceptUserTiers = ["verified"], AutoBlockAt = 0.75, Note = "real people only for verified users" },
        ],
    };

    /// <summary>
    /// Scores sit 0.0025 off every threshold the tests use, so float rounding never decides a side. People block when the
    /// score plus some seeded noise passes 0.72 (sexual) or 0.8 (real person), so automation and people disagree at times.
    /// </summary>
    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        active = (await console.Service<PolicyStore>().LoadActiveAsync()).Document;
        var random = new Random(7);
        object Generation(int i)
        {
            var category = i % 2 == 0 ? "sexual" : "real_person";
            var score = 0.5025 + 0.005 * random.Next(category == "sexual" ? 80 : 93);
            return new GenerationBuilder().WithScores((category, score))
                .WithJurisdiction(Jurisdictions[i % 4]).WithUserTier(Tiers[i / 4 % 4]).Build();
        }

        // People decide everything of a first half (the queue serves the more severe category first, so both
        // categories get decisions only when the queue is emptied); the second half stays pending.
        await producer.SubmitBatchAsync(Enumerable.Range(0, DecidedByPeople).Select(Generation).ToArray());
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        await console.DecideQueueAsync(moderator, (category, score) =>
            score + (random.NextDouble() - 0.5) * 0.2 >= (category == "sexual" ? 0.72 : 0.8) ? [category] : []);
        await producer.SubmitBatchAsync(Enumerable.Range(DecidedByPeople, Items - DecidedByPeople).Select(Generation).ToArray());

        // A senior overturns a few blocks: only the standing decision counts as evidence.
        await using var connection = await console.OpenConnectionAsync();
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        foreach (var id in await connection.QueryAsync<long>("select id from decisions where not automated and decision = 'blocked' order by id limit 5"))
            await console.Service<Overturns>().OverturnAsync(senior, id, "approved", [], "on second look, allowed");
    }

    [Fact]
    public async Task The_backlog_moves_exactly_as_a_brute_force_count_of_the_overrides_says()
    {
        var whatIf = await console.Service<WhatIf>().BacklogAsync(Proposed());

        await using var connection = await console.OpenConnectionAsync();
        var pending = await connection.ExecuteScalarAsync<long>("select count(*) from review_items where status = 'pending'");
        var blocked = await connection.ExecuteScalarAsync<long>(
            $"""
            select count(*) from review_items r join item_scores s on s.item_id = r.id
            where r.status = 'pending' and s.score >= {ProposedThreshold}
            """, new { sexualAt = 0.85 });
        Assert.Equal(Items - await connection.ExecuteScalarAsync<long>("select count(distinct item_id) from decisions"), pending);
        Assert.Equal(pending, whatIf.PendingItems);
        Assert.InRange(blocked, 10, pending - 10);
        Assert.Equal(blocked, whatIf.Moving(Routes.AutoBlocked));
        Assert.Equal(blocked, whatIf.Changed);
    }

    [Fact]
    public async Task Precision_and_recall_under_the_overrides_match_a_brute_force_count_of_standing_human_decisions()
    {
        var decided = await console.Service<WhatIf>().DecidedByPeopleAsync();

        await using var connection = await console.OpenConnectionAsync();
        var rows = (await connection.QueryAsync<(string Category, double Score, double Threshold, bool Blocked)>(
            DecidedByPeopleSql, new { sexualAt = 0.85 })).ToList();
        Assert.Equal(rows.Count, decided.Count);
        foreach (var category in new[] { "sexual", "real_person" })
        {
            var judged = WhatIf.Judge(Proposed(), category, decided);
            var mine = rows.Where(r => r.Category == category).ToList();
            Assert.Equal(mine.Count(r => r.Score >= r.Threshold && r.Blocked), judged.TruePositives);
            Assert.Equal(mine.Count(r => r.Score >= r.Threshold && !r.Blocked), judged.FalsePositives);
            Assert.Equal(mine.Count(r => r.Score < r.Threshold && r.Blocked), judged.FalseNegatives);
            Assert.True(judged.TruePositives > 0 && judged.FalsePositives + judged.FalseNegatives > 0, $"{category}: {judged}");
        }
    }

    [Fact]
    public async Task Every_point_of_the_curve_matches_a_brute_force_count_at_its_threshold()
    {
        var evidence = await console.Service<WhatIf>().EvidenceAsync(Proposed(), "sexual");

        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(WhatIf.CurveThresholds(0.5), evidence.Curve.Select(p => p.Threshold!.Value));
        foreach (var point in evidence.Curve)
        {
            var rows = (await connection.QueryAsync<(string Category, double Score, double Threshold, bool Blocked)>(
                DecidedByPeopleSql, new { sexualAt = point.Threshold })).Where(r => r.Category == "sexual").ToList();
            Assert.Equal(
                (rows.Count(r => r.Score >= r.Threshold && r.Blocked), rows.Count(r => r.Score >= r.Threshold && !r.Blocked), rows.Count(r => r.Score < r.Threshold && r.Blocked)),
                ((int)point.TruePositives, (int)point.FalsePositives, (int)point.FalseNegatives));
        }
        // Raising the threshold can only block less: recall never rises along the curve.
        var recalls = evidence.Curve.Select(p => p.Recall ?? 0).ToList();
        Assert.Equal(recalls.OrderDescending(), recalls);
        Assert.Equal(evidence.At(0.85), evidence.AsProposed);
    }

    [Fact]
    public async Task The_reroute_job_blocks_what_the_what_if_predicted_under_the_overrides()
    {
        var predicted = await console.Service<WhatIf>().BacklogAsync(Proposed());
        var (_, admin) = await console.PersonAsync(Roles.Admin);

        var (_, jobId) = await console.Service<PolicyChanges>().ActivateAsync(admin, Proposed(), "EU guidance and verified-only likenesses");
        JobView? job = null;
        await Eventually.TrueAsync(async () => (job = await console.Service<JobStore>().FindAsync(jobId)) is { Finished: true }, within: TimeSpan.FromSeconds(60));

        Assert.Equal(JobStates.Succeeded, job!.State);
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(predicted.Moving(Routes.AutoBlocked), await connection.ExecuteScalarAsync<long>("select count(*) from audit_log where action = 'item.rerouted'"));
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>(
            $"""
            select count(*) from review_items r join item_scores s on s.item_id = r.id
            where r.status = 'pending' and s.score >= {ProposedThreshold}
            """, new { sexualAt = 0.85 }));
        var after = await console.Service<WhatIf>().BacklogAsync(Proposed());
        Assert.Equal(0, after.Changed);
    }
}
