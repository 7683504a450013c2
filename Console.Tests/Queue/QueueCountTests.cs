using System.Diagnostics;
using ModerationConsole.Accounts;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Queue;

/// <summary>
/// Queue depths are counted once per console instance for every screen and gauge: never stale against a change
/// committed before the question, shared by those who ask together, and paced so that counting a huge backlog cannot
/// crowd out moderators. The metrics sampler is slowed down so that only these tests count.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class QueueCountTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres, "--Operations:SampleInterval=00:10:00")
{
    private QueueCountsReader Counts => console.Service<QueueCountsReader>();

    private static QueueCount Standard(IReadOnlyList<QueueCount> counts) => counts.Single(c => c.Queue == Queues.Standard);

    [Fact]
    public async Task A_count_includes_every_change_committed_before_it_was_asked_for()
    {
        Assert.Equal(0, Standard(await Counts.ReadAsync()).Waiting);

        await producer.SubmitBatchAsync([GenerationBuilder.Queued().Build(), GenerationBuilder.Queued().Build()]);
        var afterIngest = Standard(await Counts.ReadAsync());
        Assert.Equal(2, afterIngest.Waiting);
        Assert.NotNull(afterIngest.OldestReceivedAt);

        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        await console.Service<ClaimService>().ClaimNextAsync(moderator, Queues.Standard);
        var afterClaim = Standard(await Counts.ReadAsync());
        Assert.Equal((1, 1), (afterClaim.Waiting, afterClaim.Claimed));
        Assert.Equal(new QueueCount(Queues.Escalation, 0, 0, null), (await Counts.ReadAsync()).Single(c => c.Queue == Queues.Escalation));
    }

    [Fact]
    public async Task Screens_that_ask_at_the_same_time_share_the_counts()
    {
        await producer.SubmitBatchAsync([.. Enumerable.Range(0, 5).Select(_ => (object)GenerationBuilder.Queued().Build())]);
        await Counts.ReadAsync();
        var before = Counts.CountsTaken;

        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Task.Run(() => Counts.ReadAsync())));

        Assert.All(answers, a => Assert.Equal(5, Standard(a).Waiting));
        // The count already running when most of them asked started too early for them; all of them share the next one.
        Assert.InRange(Counts.CountsTaken - before, 1, 2);
    }

    [Fact]
    public async Task After_a_count_the_next_one_waits_in_proportion_to_how_long_it_took()
    {
        await producer.SubmitBatchAsync([.. Enumerable.Range(0, 50).Select(_ => (object)GenerationBuilder.Queued().Build())]);
        await Counts.ReadAsync();
        var lastCount = Counts.LastDuration;

        var asked = Stopwatch.StartNew();
        await Counts.ReadAsync();

        // Timers may fire up to a millisecond or so early; the pause is PauseFactor times the count, less nothing else.
        Assert.True(asked.Elapsed >= lastCount * QueueCountsReader.PauseFactor - TimeSpan.FromMilliseconds(2),
            $"asked again after {asked.Elapsed.TotalMilliseconds:0.0} ms; the count before took {lastCount.TotalMilliseconds:0.0} ms");
    }
}
