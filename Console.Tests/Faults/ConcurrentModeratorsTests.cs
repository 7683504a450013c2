using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Review;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Faults;

/// <summary>An abuse wave worked by a full shift: 32 moderators at once over 10,000 items.</summary>
[Trait(TestKind.Trait, TestKind.Faults)]
public sealed class ConcurrentModeratorsTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const int Items = 10_000;
    private const int Moderators = 32;
    private TestConsole console = null!;

    public async ValueTask InitializeAsync() => console = await TestConsole.StartAsync(postgres);

    public async ValueTask DisposeAsync() => await console.DisposeAsync();

    [Fact]
    public async Task Thirty_two_moderators_over_ten_thousand_items_decide_each_exactly_once_and_every_decision_is_audited()
    {
        await using (var producer = await ProducerClient.ConnectAsync(console.BaseAddress, (await console.ProducerAsync()).ApiKey))
        {
            for (var batch = 0; batch < Items / 500; batch++)
            {
                var receipts = await producer.SubmitBatchAsync(Enumerable.Range(0, 500).Select(_ => GenerationBuilder.Queued().Build()).ToArray());
                Assert.All(receipts, r => Assert.Equal(ModerationConsole.Ingest.ReceiptStatus.Accepted, r.Status));
            }
        }
        var moderators = new System.Security.Claims.ClaimsPrincipal[Moderators];
        for (var i = 0; i < Moderators; i++) moderators[i] = (await console.PersonAsync(Roles.Moderator)).Principal;
        var claims = console.Service<ClaimService>();
        var actions = console.Service<ReviewActions>();

        var decidedBy = await Task.WhenAll(moderators.Select((moderator, m) => Task.Run(async () =>
        {
            var mine = new List<long>();
            while (await claims.ClaimNextAsync(moderator, Queues.Standard) is { } claim)
            {
                if (claim.ItemId % 3 == 0) await actions.BlockAsync(moderator, claim, ["sexual"], null);
                else await actions.ApproveAsync(moderator, claim, null);
                mine.Add(claim.ItemId);
            }
            return mine;
        })));

        var all = decidedBy.SelectMany(d => d).ToList();
        Assert.Equal(Items, all.Count);
        Assert.Equal(Items, all.Distinct().Count());
        Assert.True(decidedBy.Count(d => d.Count > 0) > 1, "the work was shared between moderators");
        await using var connection = await console.OpenConnectionAsync();
        var (decisions, items, audited, pending) = await connection.QuerySingleAsync<(long, long, long, long)>(
            """
            select (select count(*) from decisions),
                   (select count(distinct item_id) from decisions),
                   (select count(distinct (details->>'decisionId')::bigint) from audit_log where action = 'item.decided'),
                   (select count(*) from review_items where status = 'pending')
            """);
        Assert.Equal((Items, Items, Items, 0L), (decisions, items, audited, pending));
    }
}
