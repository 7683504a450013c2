using Dapper;
using ModerationConsole.Ingest;

namespace ModerationConsole.Tests.Infrastructure;

/// <summary>What every bad-input case of the ingest hub must show, over either protocol.</summary>
public static class BadInputAssertions
{
    /// <summary>
    /// Sends a batch of a bad item then a good one: only the bad one is refused, naming <paramref name="field"/>; only
    /// the good one is stored; the connection takes the next batch.
    /// </summary>
    public static async Task RejectedAloneAsync(TestConsole console, ProducerClient client, object batch, string field)
    {
        var receipts = await client.InvokeRawAsync<IngestReceipt[]>("SubmitBatch", batch);

        Assert.Equal(ReceiptStatus.Rejected, receipts[0].Status);
        Assert.Contains(receipts[0].Errors!, e => e.Field == field);
        Assert.Equal(ReceiptStatus.Accepted, receipts[1].Status);
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from review_items"));
        Assert.Equal(ReceiptStatus.Accepted, (await client.SubmitAsync(GenerationBuilder.Queued().Build())).Status);
    }
}
