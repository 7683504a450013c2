using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Dashboard;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Queue;

/// <summary>
/// Skipping: the item goes back to the queue for others at once, is not offered to the same moderator until
/// Queue:SkipHidesFor (two seconds here) has passed, and is counted per moderator on the dashboard.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class SkipTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres, "--Queue:SkipHidesFor=00:00:02")
{
    private ClaimService Claims => console.Service<ClaimService>();

    [Fact]
    public async Task A_skipped_item_goes_to_the_next_moderator_and_comes_back_to_the_skipper_only_after_a_while()
    {
        var severe = (await producer.SubmitAsync(new GenerationBuilder().WithScores(("self_harm", 0.6)).Build())).ItemId!.Value;
        var milder = (await producer.SubmitAsync(GenerationBuilder.Queued().Build())).ItemId!.Value;
        var (_, ada) = await console.PersonAsync(Roles.Moderator);
        var (_, bo) = await console.PersonAsync(Roles.Moderator);

        var claim = (await Claims.ClaimNextAsync(ada, Queues.Standard))!;
        Assert.Equal(severe, claim.ItemId);
        Assert.True(await Claims.SkipAsync(ada, claim, "  I know this user personally.  "));

        Assert.Equal(milder, (await Claims.ClaimNextAsync(ada, Queues.Standard))!.ItemId);
        var taken = (await Claims.ClaimNextAsync(bo, Queues.Standard))!;
        Assert.Equal(severe, taken.ItemId);
        await Claims.ReleaseAsync(bo, taken);
        await Claims.ReleaseAsync(ada, (await Claims.ClaimNextAsync(ada, Queues.Standard))!);
        Assert.Equal(milder, (await Claims.ClaimNextAsync(ada, Queues.Standard))!.ItemId);

        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal("I know this user personally.", await connection.ExecuteScalarAsync<string>(
            "select details->>'reason' from audit_log where action = 'item.skipped' and item_id = @severe", new { severe }));
        var skipper = (await console.Service<DashboardReader>().ModeratorsAsync()).Single(m => m.SkippedLastWeek > 0);
        Assert.Equal((0, 1, 1), (skipper.LastWeek, skipper.SkippedLastDay, skipper.SkippedLastWeek));

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await Claims.ReleaseAsync(ada, (await Claims.ClaimNextAsync(ada, Queues.Standard))!);
        Assert.Equal(severe, (await Claims.ClaimNextAsync(ada, Queues.Standard))!.ItemId);
    }

    [Fact]
    public async Task A_skip_with_a_reason_too_long_or_after_the_claim_was_lost_changes_nothing()
    {
        await producer.SubmitAsync(GenerationBuilder.Queued().Build());
        var (_, ada) = await console.PersonAsync(Roles.Moderator);
        var claim = (await Claims.ClaimNextAsync(ada, Queues.Standard))!;

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => Claims.SkipAsync(ada, claim, new string('x', ClaimService.MaxSkipReasonLength + 1)));
        Assert.StartsWith("reason:", refused.Message);
        Assert.Equal(claim, await Claims.ClaimNextAsync(ada, Queues.Standard));
        await Claims.ReleaseAsync(ada, claim);
        Assert.False(await Claims.SkipAsync(ada, claim, null));

        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from item_skips"));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'item.skipped'"));
    }
}
