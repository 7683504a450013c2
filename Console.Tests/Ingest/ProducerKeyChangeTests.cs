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
/// revokes or replaces the key, connections opened with it get no batch stored and are closed within the recheck
/// interval (one second here), whether they send or only listen for decisions.
/// </summary>
public sealed class ProducerKeyChangeTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres, "--Ingest:KeyRecheckInterval=00:00:01")
{
    private ProducerStore Producers => console.Service<ProducerStore>();

    [Fact]
    public async Task A_batch_sent_after_the_key_was_revoked_is_refused_and_nothing_of_it_is_stored()
    {
        var platform = await console.ProducerAsync();
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, platform.ApiKey);
        Assert.Equal(ReceiptStatus.Accepted, (await client.SubmitAsync(GenerationBuilder.Queued().Build())).Status);

        await Producers.RevokeAsync(platform.Producer.Name, Actor.Console);
        var late = GenerationBuilder.Queued().WithGenerationId("sent-after-revocation").Build();
        var refused = await Assert.ThrowsAsync<HubException>(() => client.SubmitBatchAsync([late]));

        Assert.Contains("revoked or replaced", refused.Message);
        await using var db = await console.OpenConnectionAsync();
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("select count(*) from review_items where generation_id = 'sent-after-revocation'"));
        // Other producers are untouched.
        Assert.Equal(ReceiptStatus.Accepted, (await producer.SubmitAsync(GenerationBuilder.Queued().Build())).Status);
    }

    [Fact]
    public async Task Connections_opened_with_a_replaced_key_are_closed_and_the_new_key_connects()
    {
        var platform = await console.ProducerAsync();
        await using var sending = await ProducerClient.ConnectAsync(console.BaseAddress, platform.ApiKey);
        await using var listening = await ProducerClient.ConnectAsync(console.BaseAddress, platform.ApiKey);
        Assert.Equal(ReceiptStatus.Accepted, (await sending.SubmitAsync(GenerationBuilder.Queued().Build())).Status);

        var replaced = (await Producers.RotateKeyAsync(platform.Producer.Name, Actor.Console))!;

        await WaitUntilClosedAsync(sending);
        await WaitUntilClosedAsync(listening);
        Assert.Equal(HubConnectionState.Connected, producer.State);
        await using var reconnected = await ProducerClient.ConnectAsync(console.BaseAddress, replaced.ApiKey);
        Assert.Equal(ReceiptStatus.Accepted, (await reconnected.SubmitAsync(GenerationBuilder.Queued().Build())).Status);
    }

    private static async Task WaitUntilClosedAsync(ProducerClient client)
    {
        // The recheck runs every second; allow a few for a busy test machine.
        for (var waited = TimeSpan.Zero; client.State != HubConnectionState.Disconnected; waited += TimeSpan.FromMilliseconds(100))
        {
            Assert.True(waited < TimeSpan.FromSeconds(10), "the connection opened with the old key is still open");
            await Task.Delay(100);
        }
    }
}
