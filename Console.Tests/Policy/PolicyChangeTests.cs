using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Jobs;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Policy;

/// <summary>
/// Admins change thresholds with evidence: the what-if numbers match a brute-force count on the database, saving makes
/// a new audited version, and the re-route job moves the backlog on a real database.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class PolicyChangeTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres)
{
    // Sexual scores of the pending backlog: all at or above reviewAt 0.5 and below the default autoBlockAt 0.9.
    private static readonly double[] PendingScores = [0.55, 0.6, 0.65, 0.7, 0.72, 0.75, 0.8, 0.85, 0.88];

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        await producer.SubmitBatchAsync(PendingScores.Select(s => new GenerationBuilder().WithScores(("sexual", s)).Build()).ToArray());
    }

    private static PolicyDocument WithSexualAutoBlockAt(PolicyDocument document, double at) => document with
    {
        Categories = document.Categories.Select(c => c.Name == "sexual" ? c with { AutoBlockAt = at } : c).ToList(),
    };

    [Fact]
    public async Task The_backlog_what_if_matches_a_brute_force_count()
    {
        var active = await console.Service<PolicyStore>().LoadActiveAsync();

        var whatIf = await console.Service<WhatIf>().BacklogAsync(WithSexualAutoBlockAt(active.Document, 0.7));

        await using var connection = await console.OpenConnectionAsync();
        var bruteForce = await connection.ExecuteScalarAsync<long>(
            """
            select count(*) from review_items r join item_scores s on s.item_id = r.id and s.category = 'sexual'
            where r.status = 'pending' and s.score >= 0.7
            """);
        Assert.Equal(PendingScores.Length, whatIf.PendingItems);
        Assert.Equal(PendingScores.Count(s => s >= 0.7), bruteForce);
        Assert.Equal(bruteForce, whatIf.Moving(Routes.AutoBlocked));
        Assert.Equal(bruteForce, whatIf.Changed);
    }

    [Fact]
    public async Task Precision_and_recall_of_a_threshold_match_a_brute_force_count_of_human_decisions()
    {
        // A moderator blocks the items scored 0.7 and above as sexual and approves the rest.
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        await console.DecideQueueAsync(moderator, (_, score) => score >= 0.7 ? ["sexual"] : []);
        await using var connection = await console.OpenConnectionAsync();

        var active = (await console.Service<PolicyStore>().LoadActiveAsync()).Document;
        var evidence = await console.Service<WhatIf>().EvidenceAsync(active, "sexual", [0.72]);

        var at = evidence.At(0.72);
        var rows = (await connection.QueryAsync<(double Score, bool Blocked)>(
            """
            select s.score::float8, d.decision = 'blocked' from decisions d join item_scores s on s.item_id = d.item_id and s.category = 'sexual'
            where not d.automated
            """)).ToList();
        Assert.Equal(rows.Count, evidence.Decided);
        Assert.Equal(rows.Count, evidence.Scored);
        Assert.Equal(rows.Count(r => r.Score >= 0.72 && r.Blocked), at.TruePositives);
        Assert.Equal(rows.Count(r => r.Score >= 0.72 && !r.Blocked), at.FalsePositives);
        Assert.Equal(rows.Count(r => r.Score < 0.72 && r.Blocked), at.FalseNegatives);
        Assert.Equal(1.0, at.Precision);
        Assert.Equal(4.0 / 6, evidence.At(0.75).Recall!.Value, 6); // people blocked 0.7 and 0.72 too, which 0.75 misses
    }

    [Fact]
    public async Task Saving_makes_an_audited_version_and_the_reroute_job_decides_what_the_new_threshold_blocks()
    {
        // One pending item is held by a moderator: the job must leave it alone.
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var held = (await console.Service<ClaimService>().ClaimNextAsync(moderator, Queues.Standard))!;
        var (_, admin) = await console.PersonAsync(Roles.Admin);
        var active = await console.Service<PolicyStore>().LoadActiveAsync();
        await using var connection = await console.OpenConnectionAsync();
        var heldScore = await connection.ExecuteScalarAsync<double>("select score from item_scores where item_id = @ItemId and category = 'sexual'", held);

        var (version, jobId) = await console.Service<PolicyChanges>().ActivateAsync(admin, WithSexualAutoBlockAt(active.Document, 0.7), "EU regulator guidance");
        JobView? job = null;
        await Eventually.TrueAsync(async () => (job = await console.Service<JobStore>().FindAsync(jobId)) is { Finished: true }, within: TimeSpan.FromSeconds(30));

        Assert.Equal(2, version);
        Assert.Equal(JobStates.Succeeded, job!.State);
        var expectedBlocked = PendingScores.Count(s => s >= 0.7) - (heldScore >= 0.7 ? 1 : 0);
        Assert.Equal(expectedBlocked, await connection.ExecuteScalarAsync<int>("select count(*) from decisions where automated and decision = 'blocked'"));
        Assert.Equal(expectedBlocked, await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'item.rerouted'"));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "select count(*) from review_items where id = @ItemId and status = 'pending' and policy_version = 1", held));
        Assert.Equal("{\"reason\": \"EU regulator guidance\", \"version\": 2, \"previous\": 1}",
            await connection.ExecuteScalarAsync<string>("select details::text from audit_log where action = 'policy.activated' and (details->>'version')::int = 2"));

        // Running the job again for the same version changes nothing.
        var again = await console.Service<JobStore>().StartAsync(RerouteJob.JobKind, RerouteJob.Parameters(2), ModerationConsole.Audit.Actor.Console, null);
        await Eventually.TrueAsync(async () => (job = await console.Service<JobStore>().FindAsync(again)) is { Finished: true }, within: TimeSpan.FromSeconds(30));
        Assert.Equal(expectedBlocked, await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'item.rerouted'"));
    }

    [Fact]
    public async Task Restoring_an_old_version_activates_a_copy_and_only_admins_change_the_policy()
    {
        var (_, admin) = await console.PersonAsync(Roles.Admin);
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        var store = console.Service<PolicyStore>();
        var changes = console.Service<PolicyChanges>();
        var original = (await store.LoadActiveAsync()).Document;

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => changes.ActivateAsync(senior, original, "no"));
        var noReason = await Assert.ThrowsAsync<ArgumentException>(() => changes.ActivateAsync(admin, original, " "));
        await changes.ActivateAsync(admin, WithSexualAutoBlockAt(original, 0.7), "try stricter");
        var (restored, _) = await changes.RestoreAsync(admin, 1, "too many false positives");

        Assert.StartsWith("reason:", noReason.Message);
        Assert.Equal(3, restored);
        var active = await store.LoadActiveAsync();
        Assert.Equal(3, active.Version);
        Assert.Equal(0.9, active.Document.Find("sexual")!.AutoBlockAt);
        Assert.Equal("restore of version 1: too many false positives", (await store.VersionsAsync())[0].Reason);
    }
}
