using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Jobs;
using ModerationConsole.Policy;
using ModerationConsole.Scoring;
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
        var db = await postgres.CreateDatabaseAsync();
        // An in-process console without job workers: it ingests, trains the version and enqueues the job; the console
        // process below is the only worker.
        await using var office = await TestConsole.StartOnAsync(db, "--Jobs:WorkerCount=0", "--Scoring:ExecutionProvider=cpu");
        await using (var producer = await ProducerClient.ConnectAsync(office.BaseAddress, (await office.ProducerAsync()).ApiKey))
        {
            for (var offset = 0; offset < Items; offset += 500)
                await producer.SubmitBatchAsync(Enumerable.Range(offset, 500)
                    .Select(i => GenerationBuilder.Queued().WithPrompt($"a cat asleep on a windowsill, take {i}").Build()).ToArray());
        }
        var version = await office.Service<PromptModelService>().TrainAsync(Actor.Console, null, activate: true);
        var source = $"{version.Name}@{version.Version}";

        var environment = ConsoleProcess.Database(db);
        environment["Scoring__ExecutionProvider"] = "cpu";
        environment["Scoring__RescoreChunkSize"] = ChunkSize.ToString();
        environment["Jobs__AbandonedAfter"] = "00:00:10";
        var worker = await ConsoleProcess.ServeAsync(environment);
        var url = worker.BaseAddress.ToString().TrimEnd('/');
        var jobs = office.Service<JobStore>();
        await using var connection = new NpgsqlConnection(db);
        try
        {
            var jobId = await jobs.StartAsync(RescoreJob.JobKind, RescoreJob.Parameters(version.Name, version.Version), Actor.Console, null);
            await Eventually.TrueAsync(async () => (await jobs.FindAsync(jobId))!.Done >= 2 * ChunkSize,
                within: TimeSpan.FromSeconds(60), poll: TimeSpan.FromMilliseconds(20));

            await worker.KillHardAsync();
            var atCrash = (await jobs.FindAsync(jobId))!;
            var scoredAtCrash = await ScoredItemsAsync(connection, source);
            await worker.DisposeAsync();
            worker = await ConsoleProcess.ServeAtAsync(environment, url);

            JobView? job = null;
            await Eventually.TrueAsync(async () => (job = await jobs.FindAsync(jobId))!.Finished, within: TimeSpan.FromSeconds(120));

            Assert.Equal(JobStates.Running, atCrash.State);
            Assert.InRange(scoredAtCrash, 1, Items - 1);
            Assert.Equal(JobStates.Succeeded, job!.State);
            Assert.Equal(job.Total, job.Done);
            var perItem = (await connection.QueryAsync<long>(
                "select count(s.item_id) from review_items r left join item_scores s on s.item_id = r.id and s.source = @source group by r.id",
                new { source })).ToList();
            Assert.Equal(Items, perItem.Count);
            Assert.All(perItem, scores => Assert.Equal(PromptTrainer.LearnableCategories(DefaultPolicy.Categories.Select(c => c.Name), ShippedPrompts.Load()).Count, scores));
            // Scored once: the runs' audited counts add up to the items, so the second run skipped what the first had stored.
            Assert.Equal(Items, await connection.ExecuteScalarAsync<long>(
                "select coalesce(sum((details->>'scored')::int), 0) from audit_log where action = 'scoring.batch_scored'"));
        }
        finally
        {
            await worker.DisposeAsync();
        }
    }

    private static Task<long> ScoredItemsAsync(NpgsqlConnection connection, string source) =>
        connection.ExecuteScalarAsync<long>("select count(distinct item_id) from item_scores where source = @source", new { source });
}
