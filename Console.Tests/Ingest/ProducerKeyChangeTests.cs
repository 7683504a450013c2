using Dapper;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using ModerationConsole.Audit;
using ModerationConsole.Ingest;
using ModerationConsole.Producers;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Ingest;

/// <summary>
/// A producer's key is checked when its hub connection opens, but the connection can stay open for days. Once an admin
/// revokes or replaces the key, connections opened with it are closed as soon as the change is heard (a PostgreSQL
/// notification), whether they send or only listen for decisions, and a batch that arrives on one first is refused
/// with nothing stored. The periodic recheck is ten minutes away here, so what happens is the notification's doing.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class ProducerKeyChangeTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres, "--Ingest:KeyRecheckInterval=00:10:00")
{
    [Fact]
    public async Task Connections_opened_with_a_replaced_key_are_closed_at_once_and_the_new_key_connects()
    {
        var platform = await console.ProducerAsync();
        await using var sending = await ProducerClient.ConnectAsync(console.BaseAddress, platform.ApiKey);
        await using var listening = await ProducerClient.ConnectAsync(console.BaseAddress, platform.ApiKey);
        Assert.Equal(ReceiptStatus.Accepted, (await sending.SubmitAsync(GenerationBuilder.Queued().Build())).Status);

        var replaced = (await console.Service<ProducerStore>().RotateKeyAsync(platform.Producer.Name, Actor.Console))!;

        await ProducerConnectionWait.UntilClosedAsync(sending, TimeSpan.FromSeconds(15));
        await ProducerConnectionWait.UntilClosedAsync(listening, TimeSpan.FromSeconds(15));
        Assert.Equal(HubConnectionState.Connected, producer.State);
        await using var reconnected = await ProducerClient.ConnectAsync(console.BaseAddress, replaced.ApiKey);
        Assert.Equal(ReceiptStatus.Accepted, (await reconnected.SubmitAsync(GenerationBuilder.Queued().Build())).Status);
    }

    [Fact]
    public async Task A_batch_that_arrives_before_its_connection_is_closed_is_refused_and_nothing_of_it_is_stored()
    {
        var platform = await console.ProducerAsync();
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, platform.ApiKey);
        Assert.Equal(ReceiptStatus.Accepted, (await client.SubmitAsync(GenerationBuilder.Queued().Build())).Status);

        // Revoked with no notification, so the connection stays open until the batch: only the batch's own check stands.
        await RevokeBehindTheConsolesBackAsync(console, platform.Producer.Id);
        var late = GenerationBuilder.Queued().WithGenerationId("sent-after-revocation").Build();
        var refused = await Assert.ThrowsAsync<HubException>(() => client.SubmitBatchAsync([late]));

        Assert.Contains("revoked or replaced", refused.Message);
        await using var db = await console.OpenConnectionAsync();
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("select count(*) from review_items where generation_id = 'sent-after-revocation'"));
        // Other producers are untouched.
        Assert.Equal(ReceiptStatus.Accepted, (await producer.SubmitAsync(GenerationBuilder.Queued().Build())).Status);
    }

    [Fact]
    public async Task A_decision_made_after_the_key_was_replaced_is_not_pushed_to_a_connection_opened_with_the_old_key()
    {
        var platform = await console.ProducerAsync();
        await using var oldKey = await ProducerClient.ConnectAsync(console.BaseAddress, platform.ApiKey);
        // Replaced with no notification, so the old connection stays open: only the push's own reading of the key stands.
        var replacement = ApiKeys.NewKey();
        await using (var db = await console.OpenConnectionAsync())
            await db.ExecuteAsync("update producers set key_hash = @hash where id = @id", new { hash = ApiKeys.Hash(replacement), id = platform.Producer.Id });
        await using var newKey = await ProducerClient.ConnectAsync(console.BaseAddress, replacement);

        var receipt = await newKey.SubmitAsync(GenerationBuilder.AutoBlocked().Build());

        Assert.Equal(receipt.GenerationId, (await newKey.NextDecisionAsync(TimeSpan.FromSeconds(10))).GenerationId);
        await Task.Delay(500);
        Assert.Equal(HubConnectionState.Connected, oldKey.State);
        Assert.False(oldKey.TryTakeDecision(out _), "the connection opened with the replaced key received the decision");
    }

    /// <summary>As if the notification had been lost in a crash between commit and send.</summary>
    internal static async Task RevokeBehindTheConsolesBackAsync(TestConsole console, long producerId)
    {
        await using var db = await console.OpenConnectionAsync();
        await db.ExecuteAsync("update producers set revoked_at = now() where id = @producerId", new { producerId });
    }
}

/// <summary>A key change whose notification was lost still closes its connections, at the periodic recheck (one second here).</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class ProducerKeyRecheckTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres, "--Ingest:KeyRecheckInterval=00:00:01")
{
    [Fact]
    public async Task A_key_revoked_without_a_notification_closes_its_connections_at_the_next_recheck()
    {
        var platform = await console.ProducerAsync();
        await using var listening = await ProducerClient.ConnectAsync(console.BaseAddress, platform.ApiKey);

        await ProducerKeyChangeTests.RevokeBehindTheConsolesBackAsync(console, platform.Producer.Id);

        await ProducerConnectionWait.UntilClosedAsync(listening, TimeSpan.FromSeconds(10));
        Assert.Equal(HubConnectionState.Connected, producer.State);
    }
}

internal static class ProducerConnectionWait
{
    /// <summary>Waits for the console to close <paramref name="client"/>'s connection; fails after <paramref name="within"/>.</summary>
    public static async Task UntilClosedAsync(ProducerClient client, TimeSpan within)
    {
        for (var waited = TimeSpan.Zero; client.State != HubConnectionState.Disconnected; waited += TimeSpan.FromMilliseconds(100))
        {
            Assert.True(waited < within, $"the connection opened with the old key is still open after {within.TotalSeconds} s");
            await Task.Delay(100);
        }
    }
}
