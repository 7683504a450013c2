using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using ModerationConsole.Accounts;
using ModerationConsole.Producers;

namespace ModerationConsole.Ingest;

/// <summary>
/// The public ingest hub (<c>/hubs/ingest</c>). Arguments are read field by field from the JSON or MessagePack (see
/// GenerationJson, GenerationMessagePack), so bad input becomes a rejected receipt naming the field, never a failed
/// invocation or a closed connection.
/// </summary>
[Authorize(AuthenticationSchemes = ApiKeyAuthenticationHandler.SchemeName, Policy = Policies.Producer)]
public sealed class IngestHub(IngestService ingest, ProducerConnections connections, Appeals.AppealIntake appeals, Checks.CheckService checks) : Hub
{
    public const string Path = "/hubs/ingest";

    /// <summary>
    /// The connections of a producer opened with one key (its SHA-256): decisions are pushed to the group of the key
    /// that is live when they are read, so a connection opened with an older key receives none.
    /// </summary>
    public static string ProducerGroup(long producerId, byte[] keyHash) => $"producer:{producerId}:{Convert.ToHexStringLower(keyHash)}";

    private long ProducerId => Context.User!.ProducerId();

    public override async Task OnConnectedAsync()
    {
        // Decisions about this producer's items are pushed to all its connections opened with its live key.
        await Groups.AddToGroupAsync(Context.ConnectionId, ProducerGroup(ProducerId, Context.User!.ProducerKeyHash()));
        connections.Opened(Context);
        await base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        connections.Closed(Context);
        return base.OnDisconnectedAsync(exception);
    }

    /// <summary>The refusal of a batch sent on a connection whose key has been revoked or replaced since it opened.</summary>
    public const string KeyNoLongerValid =
        "unauthorized: the API key this connection was opened with has been revoked or replaced; nothing was stored";

    /// <summary>
    /// The start of a <see cref="HubException"/> message that means "nothing was acknowledged, send the same items
    /// again" (the database was unreachable past the console's own retries). Items that did commit come back as duplicates.
    /// </summary>
    public const string UnavailablePrefix = "unavailable:";

    public async Task<IngestReceipt> Submit(SubmittedGeneration item) =>
        (await StoreAsync(SubmittedBatch.Of(item)))[0];

    public async Task<IngestReceipt[]> SubmitBatch(SubmittedBatch items)
    {
        if (items.Kind != JsonValueKind.Array)
            throw new HubException("items: must be an array of generations");
        try
        {
            return await StoreAsync(items);
        }
        catch (IngestBatchException ex)
        {
            // HubException's message reaches the client; the connection stays open.
            throw new HubException(ex.Message);
        }
    }

    /// <summary>A user's appeal (the same as POST /api/v1/appeals); a refusal is a HubException naming each field.</summary>
    public Task<Appeals.AppealReceipt> SubmitAppeal(Appeals.AppealRequest appeal) =>
        AnswerAsync(() => appeals.SubmitAsync(ProducerId, appeal, Context.ConnectionAborted), "nothing was stored, send the appeal again");

    /// <summary>A generation-time check (the same as POST /api/v1/checks); a refusal is a HubException naming each field.</summary>
    public Task<Checks.CheckVerdict> Check(Checks.CheckRequest check) =>
        AnswerAsync(() => checks.CheckAsync(ProducerId, check, Context.ConnectionAborted), "ask again");

    /// <summary>Up to 100 checks at once (the same as POST /api/v1/checks/batch).</summary>
    public Task<Checks.CheckBatchVerdicts> CheckBatch(Checks.CheckBatch batch) =>
        AnswerAsync(() => checks.CheckBatchAsync(ProducerId, batch, Context.ConnectionAborted), "ask again");

    /// <summary>
    /// A call answered on a connection whose key is still live; a refusal naming its fields, or the database out of
    /// reach (<paramref name="again"/> says what to do), is a HubException and leaves the connection open.
    /// </summary>
    private async Task<T> AnswerAsync<T>(Func<Task<T>> answer, string again)
    {
        try
        {
            if (!await connections.KeyIsLiveAsync(Context, Context.ConnectionAborted)) throw new HubException(KeyNoLongerValid);
            return await answer();
        }
        catch (FieldErrorsException refused)
        {
            throw new HubException(refused.Message);
        }
        catch (Exception ex) when (Data.Db.IsTransient(ex))
        {
            throw new HubException($"{UnavailablePrefix} the database could not be reached; {again}");
        }
    }

    private async Task<IngestReceipt[]> StoreAsync(SubmittedBatch items)
    {
        try
        {
            if (!await connections.KeyIsLiveAsync(Context, Context.ConnectionAborted)) throw new HubException(KeyNoLongerValid);
            return await ingest.SubmitAsync(ProducerId, items, Context.ConnectionAborted);
        }
        catch (Exception ex) when (Data.Db.IsTransient(ex))
        {
            throw new HubException($"{UnavailablePrefix} the database could not be reached; nothing was acknowledged, send the same items again");
        }
    }
}
