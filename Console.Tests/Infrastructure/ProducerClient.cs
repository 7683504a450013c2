using System.Threading.Channels;
using MessagePack.Formatters;
using MessagePack.Resolvers;
using Microsoft.AspNetCore.SignalR.Client;
using ModerationConsole.Appeals;
using ModerationConsole.Enforcement;
using ModerationConsole.Ingest;
using ModerationConsole.Producers;

namespace ModerationConsole.Tests.Infrastructure;

/// <summary>A producer as a platform would write one: a real SignalR client over loopback, with its API key in a header.</summary>
public sealed class ProducerClient : IAsyncDisposable
{
    private readonly HubConnection connection;
    private readonly Channel<DecisionNotice> decisions = Channel.CreateUnbounded<DecisionNotice>();
    private readonly Channel<UserNotice> userNotices = Channel.CreateUnbounded<UserNotice>();

    private ProducerClient(HubConnection connection)
    {
        this.connection = connection;
        connection.On<DecisionNotice>("Decision", notice => decisions.Writer.TryWrite(notice));
        connection.On<UserNotice>("UserNotice", notice => userNotices.Writer.TryWrite(notice));
    }

    public HubConnectionState State => connection.State;

    /// <summary>
    /// Connects over the JSON protocol, or over MessagePack with the contract's formatters (as a .NET producer would,
    /// <see cref="IngestMessagePack"/>), plus any of a test's own.
    /// </summary>
    public static async Task<ProducerClient> ConnectAsync(Uri baseAddress, string apiKey, bool messagePack = false,
        params IMessagePackFormatter[] formatters)
    {
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(baseAddress, IngestHub.Path), options => options.Headers[ApiKeys.HeaderName] = apiKey);
        if (messagePack)
        {
            var contract = IngestMessagePack.SerializerOptions(new IngestOptions());
            builder.AddMessagePackProtocol(o => o.SerializerOptions = contract.WithResolver(CompositeResolver.Create(formatters, [contract.Resolver])));
        }
        var connection = builder.Build();
        var client = new ProducerClient(connection);
        await connection.StartAsync();
        return client;
    }

    /// <summary>An HTTP client for the producer API, with the key in its header.</summary>
    public static HttpClient Http(Uri baseAddress, string apiKey)
    {
        var http = new HttpClient { BaseAddress = baseAddress };
        http.DefaultRequestHeaders.Add(ApiKeys.HeaderName, apiKey);
        return http;
    }

    public Task<IngestReceipt> SubmitAsync(object item) => connection.InvokeAsync<IngestReceipt>("Submit", item);

    public Task<IngestReceipt[]> SubmitBatchAsync(IEnumerable<object> items) =>
        connection.InvokeAsync<IngestReceipt[]>("SubmitBatch", items.ToArray());

    /// <summary>Invokes with an argument of any shape, for the bad-input cases.</summary>
    public Task<T> InvokeRawAsync<T>(string method, object? argument) => connection.InvokeAsync<T>(method, argument);

    public async Task<DecisionNotice> NextDecisionAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        return await decisions.Reader.ReadAsync(cts.Token);
    }

    /// <summary>The next account notice pushed (enforcement applied or lifted, an appeal decided).</summary>
    public async Task<UserNotice> NextUserNoticeAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        return await userNotices.Reader.ReadAsync(cts.Token);
    }

    public Task<AppealReceipt> SubmitAppealAsync(AppealRequest appeal) => connection.InvokeAsync<AppealReceipt>("SubmitAppeal", appeal);

    public bool TryTakeDecision(out DecisionNotice? notice) => decisions.Reader.TryRead(out notice);

    public ValueTask DisposeAsync() => connection.DisposeAsync();
}
