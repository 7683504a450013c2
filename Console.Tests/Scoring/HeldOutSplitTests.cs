using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Scoring;
using ModerationConsole.Scoring.Training;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Scoring;

/// <summary>
/// The prompt model is tested on what it has not seen: the latest moderators' decisions, from users it was not trained
/// on, never a random sample of rows; without enough decisions the page says its figures come from synthetic prompts.
/// </summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class HeldOutSplitTests
{
    private static DecidedPrompt Decided(string user, int minute) =>
        new(new PromptExample($"prompt of {user} at {minute}", new HashSet<string>(), HeldOut: false), user, DateTimeOffset.UnixEpoch.AddMinutes(minute));

    [Fact]
    public void The_latest_fifth_is_held_out_and_no_user_of_it_is_trained_on()
    {
        // Ten users, ten decisions each, interleaved in time; user-9 also decided early on.
        var decided = Enumerable.Range(0, 100).Select(i => Decided($"user-{i % 10}", i)).Append(Decided("user-9", -5)).ToList();

        var (training, heldOut) = HeldOutSplit.ByUserAndTime(decided);

        var latest = decided.OrderBy(d => d.DecidedAt).TakeLast(21).Select(d => d.Example).ToList();
        Assert.Equal(latest, heldOut);
        var heldOutUsers = decided.Where(d => heldOut.Contains(d.Example)).Select(d => d.User).ToHashSet();
        Assert.DoesNotContain(decided, d => training.Contains(d.Example) && heldOutUsers.Contains(d.User));
        Assert.DoesNotContain(training, e => e.Prompt == "prompt of user-9 at -5");
    }

    [Fact]
    public void When_every_user_reaches_the_latest_fifth_nothing_of_theirs_is_trained_on()
    {
        var decided = Enumerable.Range(0, 50).Select(i => Decided($"user-{i % 5}", i)).ToList();

        var (training, heldOut) = HeldOutSplit.ByUserAndTime(decided);

        Assert.Empty(training);
        Assert.Equal(10, heldOut.Count);
    }
}

/// <summary>Training on moderators' decisions records what the version was tested on, and the page shows it.</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class PromptModelHeldOutTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestConsole console = null!;

    public async ValueTask InitializeAsync() => console = await TestConsole.StartAsync(postgres, "--Scoring:MinDecisionsForTraining=40");

    public async ValueTask DisposeAsync() => await console.DisposeAsync();

    [Fact]
    public async Task Without_enough_decisions_the_metrics_say_they_come_from_the_shipped_prompts()
    {
        var trained = await console.Service<PromptModelService>().TrainAsync(Actor.Console, null, activate: false);

        Assert.Equal(0, trained.DecisionExamples);
        Assert.All(trained.Metrics, m => Assert.Equal(CategoryMetrics.OnShippedPrompts, m.HeldOut));
    }

    [Fact]
    public async Task With_enough_decisions_the_version_is_tested_on_the_latest_of_them_and_says_how_many()
    {
        var producer = await console.ProducerAsync();
        await using (var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey))
        {
            await client.SubmitBatchAsync(Enumerable.Range(0, 50).Select(i => (object)GenerationBuilder.Queued()
                .WithUser($"user-{i}").WithPrompt(i % 2 == 0 ? $"explicit nude photo number {i}" : $"a quiet harbour at dawn, {i}").Build()));
        }
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        await console.DecideQueueAsync(moderator, (_, _) => []);
        await using (var connection = await console.OpenConnectionAsync())
            await connection.ExecuteAsync("update decisions set categories = '{sexual}', decision = 'blocked' where item_id in (select id from review_items where prompt like 'explicit%')");

        var trained = await console.Service<PromptModelService>().TrainAsync(Actor.Console, null, activate: false);

        Assert.Equal(40, trained.DecisionExamples);
        var sexual = Assert.Single(trained.Metrics, m => m.Category == "sexual");
        Assert.Equal(CategoryMetrics.OnDecisions, sexual.HeldOut);
        Assert.Equal(10, sexual.Examples);
        Assert.True(sexual.TooFewToTrust);
        var stored = (await console.Service<ClassifierStore>().ListAsync()).Single(v => v.Version == trained.Version);
        Assert.Equal(trained.Metrics, stored.ParsedMetrics);
    }
}
