using System.Text.Json;
using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Jobs;
using ModerationConsole.Policy;
using ModerationConsole.Scoring;
using ModerationConsole.Scoring.Training;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Scoring;

/// <summary>
/// Re-scoring the backlog as a Hangfire job on a real database: every pending item scored once by the version, even
/// when an earlier run stopped part-way, and each item routed again on its new evidence.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class RescoreJobTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const int Items = 600; // three chunks
    private TestConsole console = null!;

    public async ValueTask InitializeAsync()
    {
        console = await TestConsole.StartAsync(postgres, "--Scoring:ExecutionProvider=cpu");
        await using var producer = await ProducerClient.ConnectAsync(console.BaseAddress, (await console.ProducerAsync()).ApiKey);
        string[] prompts =
        [
            "a watercolour of a lighthouse at dusk", "explicit nude photo of a famous actress", "a man stabbed, blood everywhere",
            "a cat asleep on a windowsill", "topless woman on a beach, photorealistic", "how to cook meth at home, step by step",
        ];
        for (var offset = 0; offset < Items; offset += 200)
            await producer.SubmitBatchAsync(Enumerable.Range(offset, 200)
                .Select(i => GenerationBuilder.Queued().WithPrompt($"{prompts[i % prompts.Length]} #{i}").Build()).ToArray());
    }

    public async ValueTask DisposeAsync() => await console.DisposeAsync();

    [Fact]
    public async Task A_rescore_after_a_partial_run_and_a_cancelled_one_scores_every_pending_item_once_and_routes_it_on_the_new_scores()
    {
        var trained = await console.Service<PromptModelService>().TrainAsync(Actor.Console, null, activate: true);
        var source = $"{trained.Name}@{trained.Version}";
        await using var connection = await console.OpenConnectionAsync();
        // An earlier run got through 100 items before it died.
        var firstIds = (await connection.QueryAsync<long>("select id from review_items order by id limit 100")).ToList();
        await console.Service<ScoringService>().ScoreBatchAsync(trained.Name, trained.Version, firstIds, Actor.Console);
        var jobs = console.Service<JobStore>();

        // Another run is cancelled part-way.
        var cancelled = await jobs.StartAsync(RescoreJob.JobKind, RescoreJob.Parameters(trained.Name, trained.Version), Actor.Console, null);
        await Eventually.TrueAsync(async () => (await jobs.FindAsync(cancelled))!.Done > 0, within: TimeSpan.FromSeconds(60));
        await jobs.RequestCancelAsync(cancelled, Actor.Console);
        await Eventually.TrueAsync(async () => (await jobs.FindAsync(cancelled))!.Finished, within: TimeSpan.FromSeconds(60));

        var final = await jobs.StartAsync(RescoreJob.JobKind, RescoreJob.Parameters(trained.Name, trained.Version), Actor.Console, null);
        JobView? job = null;
        await Eventually.TrueAsync(async () => (job = await jobs.FindAsync(final))!.Finished, within: TimeSpan.FromSeconds(120));

        Assert.Equal(JobStates.Succeeded, job!.State);
        var perItem = (await connection.QueryAsync<(long Item, long Scores)>(
            "select r.id, count(s.item_id) from review_items r left join item_scores s on s.item_id = r.id and s.source = @source group by r.id",
            new { source })).ToList();
        Assert.Equal(Items, perItem.Count);
        Assert.All(perItem, p => Assert.Equal(PromptTrainer.LearnableCategories(DefaultPolicy.Categories.Select(c => c.Name), ShippedPrompts.Load()).Count, p.Scores));
        var scoredByAudit = await connection.ExecuteScalarAsync<long>(
            "select coalesce(sum((details->>'scored')::int), 0) from audit_log where action = 'scoring.batch_scored'");
        Assert.Equal(Items, scoredByAudit); // never scored twice

        // Each item's route is what the policy says for the strongest of the producer's and the model's scores.
        var policy = await console.Service<PolicyStore>().LoadActiveAsync();
        var routed = (await connection.QueryAsync<(long Id, string Route, string Scores)>(
            """
            select r.id, r.route, (select jsonb_object_agg(category, best)::text from
                (select category, max(score) as best from item_scores where item_id = r.id group by category) b)
            from review_items r
            """)).ToList();
        foreach (var (id, route, scores) in routed)
        {
            var expected = Router.Route(policy.Document, new RouteInput(JsonSerializer.Deserialize<Dictionary<string, double>>(scores)!, null, "DE", "free"));
            Assert.True(expected.Route == route, $"item {id}: routed {route}, the policy says {expected.Route} for {scores}");
        }
        var rerouted = await connection.ExecuteScalarAsync<long>("select count(*) from audit_log where action = 'item.rerouted'");
        var movedOff = routed.Count(r => r.Route != Routes.Queued);
        Assert.Equal(movedOff, rerouted);
    }
}
