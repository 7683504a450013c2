namespace ModerationConsole.Tests.Infrastructure;

/// <summary>
/// Where most behaviour tests start: the console on a fresh database with <paramref name="settings"/> on its command
/// line, and one producer connected over the hub.
/// </summary>
public abstract class ConsoleWithProducerTest(PostgresFixture postgres, params string[] settings) : IAsyncLifetime
{
    protected TestConsole console = null!;
    protected ProducerClient producer = null!;
    /// <summary>The producer's API key, for calls over HTTP.</summary>
    protected string apiKey = "";

    public virtual async ValueTask InitializeAsync()
    {
        console = await TestConsole.StartAsync(postgres, settings);
        apiKey = (await console.ProducerAsync()).ApiKey;
        producer = await ProducerClient.ConnectAsync(console.BaseAddress, apiKey);
    }

    public virtual async ValueTask DisposeAsync()
    {
        await producer.DisposeAsync();
        await console.DisposeAsync();
    }
}
