using System.Net;
using System.Net.Http.Json;
using System.Text;
using ModerationConsole.Ingest;
using ModerationConsole.Policy;
using ModerationConsole.Producers;
using ModerationConsole.Queue;
using ModerationConsole.Review;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Ingest;

/// <summary>The HTTP side of the contract: submitting without SignalR, and catching up on decisions from a cursor.</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class IngestHttpTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestConsole console = null!;
    private HttpClient http = null!;

    public async ValueTask InitializeAsync()
    {
        console = await TestConsole.StartAsync(postgres);
        http = ClientFor((await console.ProducerAsync()).ApiKey);
    }

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await console.DisposeAsync();
    }

    private HttpClient ClientFor(string? apiKey)
    {
        var client = new HttpClient { BaseAddress = console.BaseAddress };
        if (apiKey is not null) client.DefaultRequestHeaders.Add(ApiKeys.HeaderName, apiKey);
        return client;
    }

    [Fact]
    public async Task One_object_gets_one_receipt()
    {
        FlaggedGeneration item = GenerationBuilder.Queued();
        var response = await http.PostAsJsonAsync("/api/v1/generations", item);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var receipt = await response.Content.ReadFromJsonAsync<IngestReceipt>();
        Assert.Equal(ReceiptStatus.Accepted, receipt!.Status);
        Assert.Equal(item.GenerationId, receipt.GenerationId);
    }

    [Fact]
    public async Task An_array_gets_receipts_in_order()
    {
        FlaggedGeneration a = GenerationBuilder.Queued(), b = GenerationBuilder.AutoApproved();
        var response = await http.PostAsJsonAsync("/api/v1/generations", new[] { a, b });

        var receipts = await response.Content.ReadFromJsonAsync<IngestReceipt[]>();
        Assert.NotNull(receipts);
        Assert.Equal([a.GenerationId, b.GenerationId], receipts.Select(r => r.GenerationId).ToArray());
        Assert.Equal([Routes.Queued, Routes.AutoApproved], receipts.Select(r => r.Route).ToArray());
    }

    [Fact]
    public async Task A_rejected_object_answers_422_with_field_errors()
    {
        var response = await http.PostAsJsonAsync("/api/v1/generations", GenerationBuilder.Queued().WithCreatedAt("not a date").Build());

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var receipt = await response.Content.ReadFromJsonAsync<IngestReceipt>();
        Assert.Contains(receipt!.Errors!, e => e.Field == "createdAt");
    }

    [Fact]
    public async Task Malformed_json_answers_400_naming_the_body()
    {
        var response = await http.PostAsync("/api/v1/generations", new StringContent("{\"generationId\": ", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"field\":\"body\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Without_a_key_the_api_answers_401()
    {
        using var anonymous = ClientFor(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/decisions")).StatusCode);
        using var wrong = ClientFor("mc_wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.PostAsJsonAsync("/api/v1/generations", GenerationBuilder.Queued().Build())).StatusCode);
    }

    [Fact]
    public async Task Decisions_are_read_in_cursor_order_page_by_page_without_missing_any()
    {
        var items = Enumerable.Range(0, 5).Select(_ => GenerationBuilder.AutoBlocked().Build()).ToArray();
        await http.PostAsJsonAsync("/api/v1/generations", items);
        // One more decided by a person, after the automatic ones.
        FlaggedGeneration human = GenerationBuilder.Queued();
        await http.PostAsJsonAsync("/api/v1/generations", human);
        var (_, moderator) = await console.PersonAsync(ModerationConsole.Accounts.Roles.Moderator);
        var claim = await console.Service<ClaimService>().ClaimNextAsync(moderator, Queues.Standard);
        await console.Service<ReviewActions>().ApproveAsync(moderator, claim!, null);

        var seen = new List<DecisionNotice>();
        long cursor = 0;
        while (true)
        {
            var page = await http.GetFromJsonAsync<DecisionPage>($"/api/v1/decisions?after={cursor}&limit=2");
            if (page!.Decisions.Count == 0) break;
            Assert.True(page.Decisions.Count <= 2);
            seen.AddRange(page.Decisions);
            cursor = page.Cursor;
        }

        Assert.Equal(items.Select(i => i.GenerationId).Append(human.GenerationId), seen.Select(n => n.GenerationId));
        Assert.Equal(seen.Select(n => n.Cursor).Order(), seen.Select(n => n.Cursor));
        Assert.False(seen[^1].Automated);
    }

    [Fact]
    public async Task A_producer_reads_only_its_own_decisions()
    {
        await http.PostAsJsonAsync("/api/v1/generations", GenerationBuilder.AutoBlocked().Build());
        using var other = ClientFor((await console.ProducerAsync()).ApiKey);

        var page = await other.GetFromJsonAsync<DecisionPage>("/api/v1/decisions");

        Assert.Empty(page!.Decisions);
    }

    [Theory]
    [InlineData("after=-1", "after")]
    [InlineData("after=abc", "after")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    public async Task Bad_cursor_parameters_answer_400_naming_the_field(string query, string field)
    {
        var response = await http.GetAsync($"/api/v1/decisions?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"\"field\":\"{field}\"", await response.Content.ReadAsStringAsync());
    }
}
