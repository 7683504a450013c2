using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Bench;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Review;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Queue;

/// <summary>
/// What claims leave behind in the queue's claim index is cleared by vacuuming the queue table (db/0008), so that a
/// claim's walk from the head of the queue stays short however long the console has been running.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class QueueVacuumTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres, "--Operations:SampleInterval=00:10:00")
{
    [Fact]
    public async Task A_vacuum_takes_the_claim_walk_back_to_a_fresh_queue_even_when_the_decided_items_fill_few_pages_of_a_large_table()
    {
        await using var owner = await console.OpenOwnerConnectionAsync();
        // One priority: the head of the queue is the table's oldest rows, so the decided items sit together on a few
        // pages (under 2% of the table), where PostgreSQL would by default skip cleaning the indexes.
        await BenchSeed.ItemsAsync(owner, 200_000, pending: true, priorities: 1);
        var freshQueue = await ClaimWalk.MeasureAsync(owner, Queues.Standard);
        var claims = console.Service<ClaimService>();
        var actions = console.Service<ReviewActions>();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            var (_, moderator) = await console.PersonAsync(Roles.Moderator);
            for (var i = 0; i < 500; i++)
                await actions.ApproveAsync(moderator, (await claims.ClaimNextAsync(moderator, Queues.Standard))!, null);
        }));
        var beforeVacuum = await ClaimWalk.MeasureAsync(owner, Queues.Standard);

        await owner.ExecuteAsync("vacuum review_items");

        var afterVacuum = await ClaimWalk.MeasureAsync(owner, Queues.Standard);
        // 2,000 claims left entries over a dozen pages of the index's head; the vacuum takes the walk back to what it
        // was on the fresh queue (give or take the odd emptied page).
        Assert.True(beforeVacuum.Pages >= freshQueue.Pages + 10, $"fresh queue: {freshQueue.Pages} pages; after 2,000 claims: {beforeVacuum.Pages}");
        Assert.True(afterVacuum.Pages <= freshQueue.Pages + 2, $"fresh queue: {freshQueue.Pages} pages; after the vacuum: {afterVacuum.Pages}");
    }
}
