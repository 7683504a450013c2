using Dapper;
using ModerationConsole.Jobs;
using ModerationConsole.Policy;
using ModerationConsole.Scoring.Training;
using ModerationConsole.Tests.Infrastructure;
using Npgsql;

namespace ModerationConsole.Tests.Faults;

/// <summary>
/// A GPU worker dies mid-job: the console running a re-score is killed with SIGKILL between batches. After a restart the
/// job is taken up again by itself, and in the end every pending item carries the version's scores exactly once.
/// </summary>
[Trait(TestKind.Trait, TestKind.Faults)]
public sealed class CrashDuringRescoreTests(PostgresFixture postgres)
{
    private const int Items = 3_000, ChunkSize = 50;

    [Fact]
    public async Task A_rescore_killed_with_sigkill_between_batches_resumes_after_a_restart_and_scores_every_item_once()
    {
        // The office ingests, trains the version and enqueues the job; the console process below is the only worker.
        await using var backlog = await RescoreBacklog.CreateAsync(postgres, Items, "a cat asleep on a windowsill");
        var environment = backlog.WorkerEnvironment(ChunkSize);
        var worker = await ConsoleProcess.ServeAsync(environment);
        var url = worker.BaseAddress.ToString().TrimEnd('/');
        var jobs = backlog.Office.Service<JobStore>();
        await using var connection = new NpgsqlConnection(backlog.Database);
        try
        {
            var jobId = await backlog.StartRescoreAsync(done: 2 * ChunkSize);

            await worker.KillHardAsync();
            var atCrash = (await jobs.FindAsync(jobId))!;
            var scoredAtCrash = await ScoredItemsAsync(connection, backlog.Source);
            await worker.DisposeAsync();
            worker = await ConsoleProcess.ServeAtAsync(environment, url);

            var job = await backlog.FinishedAsync(jobId, within: TimeSpan.FromSeconds(120));

            Assert.Equal(JobStates.Running, atCrash.State);
            Assert.InRange(scoredAtCrash, 1, Items - 1);
            Assert.Equal(JobStates.Succeeded, job.State);
            Assert.Equal(job.Total, job.Done);
            var perItem = (await connection.QueryAsync<long>(
                "select count(s.item_id) from review_items r left join item_scores s on s.item_id = r.id and s.source = @source group by r.id",
                new { source = backlog.Source })).ToList();
            Assert.Equal(Items, perItem.Count);
            Assert.All(perItem, scores => Assert.Equal(PromptTrainer.LearnableCategories(DefaultPolicy.Categories.Select(c => c.Name), ShippedPrompts.Load()).Count, scores));
            // Scored once: the runs' audited counts add up to the items, so the second run skipped what the first had stored.
            Assert.Equal(Items, await backlog.AuditedScoredAsync());
        }
        finally
        {
            await worker.DisposeAsync();
        }
    }

    private static Task<long> ScoredItemsAsync(NpgsqlConnection connection, string source) =>
        connection.ExecuteScalarAsync<long>("select count(distinct item_id) from item_scores where source = @source", new { source });
}
