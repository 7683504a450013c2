using System.Text.Json;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Review;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Review;

/// <summary>
/// A block's reason and strike weight come from the policy the instance remembers; when another instance saved a new
/// version meanwhile, the block is written under the new one, never under the stale one.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class RememberedPolicyTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestConsole console = null!;

    public async ValueTask InitializeAsync() => console = await TestConsole.StartAsync(postgres);

    public async ValueTask DisposeAsync() => await console.DisposeAsync();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_block_after_another_instance_changed_the_policy_carries_the_new_reason_and_weight(bool withNearDuplicate)
    {
        var producer = await console.ProducerAsync();
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey);
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var store = console.Service<PolicyStore>();
        var remembered = await store.RememberedActiveAsync();

        // Another instance saves version 2: this instance hears nothing of it.
        var changed = remembered.Document with
        {
            Categories = remembered.Document.Categories.Select(c => c.Name == "sexual" ? c with { Reason = "Version two's reason." } : c).ToList(),
            Enforcement = remembered.Document.Enforcement with { StrikeWeights = new Dictionary<string, int> { ["sexual"] = 3 } },
        };
        await using (var owner = await console.OpenOwnerConnectionAsync())
            await owner.ExecuteAsync(
                """
                update policies set active = false where active;
                insert into policies (version, document, active, reason) values (2, @document::jsonb, true, 'elsewhere');
                """, new { document = JsonSerializer.Serialize(changed, new JsonSerializerOptions(JsonSerializerDefaults.Web)) });

        var receipts = await client.SubmitBatchAsync([GenerationBuilder.Queued().WithUser("lea").Build(), GenerationBuilder.Queued().WithUser("lea").Build()]);
        var claim = (await console.Service<ClaimService>().ClaimNextAsync(moderator, Queues.Standard))!;
        var alsoDecide = withNearDuplicate ? receipts.Select(r => r.ItemId!.Value).Where(id => id != claim.ItemId).ToList() : null;
        await console.Service<ReviewActions>().DecideAsync(moderator, claim, ReviewDecision.Block(["sexual"], null) with { AlsoDecide = alsoDecide });

        await using var connection = await console.OpenConnectionAsync();
        Assert.All(await connection.QueryAsync<string>("select reason from decisions"), reason => Assert.Equal("Version two's reason.", reason));
        Assert.All(await connection.QueryAsync<int>("select weight from strikes"), weight => Assert.Equal(3, weight));
        Assert.Equal(withNearDuplicate ? 2 : 1, await connection.ExecuteScalarAsync<int>("select count(*) from strikes"));
        Assert.Equal(2, (await store.RememberedActiveAsync()).Version);
    }
}
