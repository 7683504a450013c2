using Dapper;
using ModerationConsole.Decisions;
using ModerationConsole.Ingest;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Decisions;

/// <summary>
/// The cursor guarantee under concurrency: a decision that took a lower id but commits later must not be skipped by a
/// producer that read past it. Writers run side by side; the reader waits for the ones in flight.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class DecisionCursorTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestConsole console = null!;

    public async ValueTask InitializeAsync() => console = await TestConsole.StartAsync(postgres);

    public async ValueTask DisposeAsync() => await console.DisposeAsync();

    [Fact]
    public async Task A_reader_waits_for_a_lower_id_still_in_flight_and_then_sees_both_in_order()
    {
        var producer = await console.ProducerAsync();
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey);
        var receipts = await client.SubmitBatchAsync([GenerationBuilder.Queued().Build(), GenerationBuilder.Queued().Build()]);
        var writer = console.Service<DecisionWriter>();
        PendingDecision Approval(IngestReceipt r) =>
            new(r.ItemId!.Value, producer.Producer.Id, "user-1", DecisionKinds.Approved, [], PendingDecision.ApprovedReason, null, null);

        // Writer A takes the lower id and stays open; writer B takes the next id and commits at once.
        await using var slow = await console.OpenConnectionAsync();
        await using var slowTransaction = await slow.BeginTransactionAsync();
        var lower = (await writer.WriteAsync(slow, slowTransaction, [Approval(receipts[0])]))[0];
        long higher;
        await using (var fast = await console.OpenConnectionAsync())
        {
            await using var fastTransaction = await fast.BeginTransactionAsync();
            higher = (await writer.WriteAsync(fast, fastTransaction, [Approval(receipts[1])]))[0];
            await fastTransaction.CommitAsync();
        }
        Assert.True(higher > lower);

        var reading = console.Service<DecisionFeed>().PageAsync(producer.Producer.Id, 0, 100, CancellationToken.None);
        await Task.Delay(500);
        Assert.False(reading.IsCompleted, "the reader must not answer while a lower id is in flight");

        await slowTransaction.CommitAsync();
        var page = await reading.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([lower, higher], page.Decisions.Select(d => d.Cursor));
        Assert.Equal(higher, page.Cursor);
    }

    [Fact]
    public async Task Writers_of_the_same_producer_do_not_wait_for_each_other()
    {
        var producer = await console.ProducerAsync();
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey);
        var receipts = await client.SubmitBatchAsync([GenerationBuilder.Queued().Build(), GenerationBuilder.Queued().Build()]);
        var writer = console.Service<DecisionWriter>();

        await using var first = await console.OpenConnectionAsync();
        await using var firstTransaction = await first.BeginTransactionAsync();
        await writer.WriteAsync(first, firstTransaction,
            [new(receipts[0].ItemId!.Value, producer.Producer.Id, "user-1", DecisionKinds.Approved, [], PendingDecision.ApprovedReason, null, null)]);
        await using var second = await console.OpenConnectionAsync();
        await using var secondTransaction = await second.BeginTransactionAsync();
        var other = writer.WriteAsync(second, secondTransaction,
            [new(receipts[1].ItemId!.Value, producer.Producer.Id, "user-1", DecisionKinds.Approved, [], PendingDecision.ApprovedReason, null, null)]);

        // Any bound tells "does not wait" from a lock held until the first commits; a generous one keeps a busy machine from failing it.
        await other.WaitAsync(TimeSpan.FromSeconds(30));
        await secondTransaction.CommitAsync();
        await firstTransaction.CommitAsync();
        Assert.Equal(2, await first.ExecuteScalarAsync<int>("select count(*) from decisions"));
    }
}
