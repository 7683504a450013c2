using System.Net;
using System.Text.Json;
using ModerationConsole.Operations;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Operations;

/// <summary>
/// OpenTelemetry subscribes to meters by name across the whole process, so while another test's console is running
/// its gauges would show in this console's scrape too. A console is alone in its process in production; here these
/// tests run on their own, after the parallel ones.
/// </summary>
[CollectionDefinition(nameof(MetricsAlone), DisableParallelization = true)]
public sealed class MetricsAlone;

/// <summary>What operators scrape and probe: Prometheus metrics of the queues and decisions, and health checks.</summary>
[Collection(nameof(MetricsAlone))]
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class OperationsTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestConsole console = null!;

    public async ValueTask InitializeAsync() => console = await TestConsole.StartAsync(postgres, "--Operations:SampleInterval=00:00:01");

    public async ValueTask DisposeAsync() => await console.DisposeAsync();

    [Fact]
    public async Task Metrics_show_the_queue_depth_and_the_decisions_of_the_last_hour_in_prometheus_format()
    {
        await using (var producer = await ProducerClient.ConnectAsync(console.BaseAddress, (await console.ProducerAsync()).ApiKey))
        {
            await producer.SubmitBatchAsync([GenerationBuilder.Queued().Build(), GenerationBuilder.Queued().Build(), GenerationBuilder.AutoBlocked().Build()]);
        }
        using var http = new HttpClient { BaseAddress = console.BaseAddress };

        string text = "";
        await Eventually.TrueAsync(async () =>
            (text = await http.GetStringAsync(OperationsRegistration.MetricsPath)).Contains("moderation_queue_waiting{otel_scope_name=\"ModerationConsole\",queue=\"standard\"} 2"),
            () => text, TimeSpan.FromSeconds(20));

        Assert.Contains("moderation_decisions_last_hour{otel_scope_name=\"ModerationConsole\",decided_by=\"automation\",decision=\"blocked\"} 1", text);
        Assert.Contains("moderation_queue_oldest_age_seconds", text);
        Assert.Contains("http_server_request_duration_seconds", text);
    }

    [Fact]
    public async Task Health_reports_each_check_without_signing_in()
    {
        using var http = new HttpClient { BaseAddress = console.BaseAddress };

        var response = await http.GetAsync(OperationsRegistration.HealthPath);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.Equal("Healthy", body.GetProperty("checks").GetProperty("postgresql").GetProperty("status").GetString());
        Assert.Equal("Healthy", body.GetProperty("checks").GetProperty("audit-chain").GetProperty("status").GetString());
        Assert.Equal("Healthy", body.GetProperty("checks").GetProperty("audit-append-only").GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("127.0.0.1", null, true)]
    [InlineData("::1", null, true)]
    [InlineData("10.1.2.3", null, false)]
    [InlineData("10.1.2.3", "10.0.0.0/8", true)]
    [InlineData("::ffff:10.1.2.3", "10.0.0.0/8", true)]
    [InlineData("192.168.1.9", "10.0.0.0/8", false)]
    public void Only_loopback_and_the_configured_networks_may_scrape_metrics(string address, string? network, bool allowed)
    {
        var options = new OperationsOptions { MetricsAllowedNetworks = network is null ? null : [network] };

        Assert.Equal(allowed, OperationsRegistration.MayScrape(IPAddress.Parse(address), options));
    }
}
