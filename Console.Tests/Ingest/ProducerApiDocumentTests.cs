using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using ModerationConsole.Ingest;
using ModerationConsole.Producers;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Ingest;

/// <summary>
/// Producers generate clients from /openapi/v1.json, so it must list every public route of the HTTP API, nothing
/// else, each with the API key it needs, and the contract's names in its schemas.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class ProducerApiDocumentTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestConsole console = null!;
    private HttpClient http = null!;

    public async ValueTask InitializeAsync()
    {
        console = await TestConsole.StartAsync(postgres);
        http = new HttpClient { BaseAddress = console.BaseAddress };
        http.DefaultRequestHeaders.Add(ApiKeys.HeaderName, (await console.ProducerAsync()).ApiKey);
    }

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await console.DisposeAsync();
    }

    [Fact]
    public async Task The_document_lists_exactly_the_public_routes_each_behind_the_api_key()
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync(ProducerApiDocument.Path));
        var root = document.RootElement;

        var documented = root.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(operation => $"{operation.Name.ToUpperInvariant()} {path.Name}"))
            .Order().ToList();
        var routed = console.Services.GetServices<EndpointDataSource>().SelectMany(source => source.Endpoints).OfType<RouteEndpoint>()
            .Where(endpoint => endpoint.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true)
            .SelectMany(endpoint => (endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["ANY"])
                .Select(method => $"{method} {endpoint.RoutePattern.RawText}"))
            .Order().ToList();
        Assert.Equal(["DELETE /api/v1/opt-outs/{optOutId}", "GET /api/v1/decisions", "GET /api/v1/notices", "GET /api/v1/removal-requests/{requestId}", "GET /api/v1/users/{userId}/standing",
            "POST /api/v1/appeals", "POST /api/v1/capabilities", "POST /api/v1/checks", "POST /api/v1/checks/batch", "POST /api/v1/generations", "POST /api/v1/opt-outs", "POST /api/v1/removal-requests"], routed);
        Assert.Equal(routed, documented);

        var scheme = root.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal("apiKey", scheme.GetProperty("type").GetString());
        Assert.Equal(ApiKeys.HeaderName, scheme.GetProperty("name").GetString());
        foreach (var path in root.GetProperty("paths").EnumerateObject())
            foreach (var operation in path.Value.EnumerateObject())
                Assert.True(operation.Value.GetProperty("security")[0].TryGetProperty("ApiKey", out _), $"{operation.Name} {path.Name} names no key");
    }

    [Fact]
    public async Task Schemas_carry_the_contracts_names_and_every_answer_a_producer_must_handle()
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync(ProducerApiDocument.Path));
        var root = document.RootElement;

        var schemas = root.GetProperty("components").GetProperty("schemas");
        Assert.True(schemas.GetProperty("FlaggedGeneration").GetProperty("properties").TryGetProperty("generationId", out _));
        Assert.True(schemas.GetProperty("IngestReceipt").GetProperty("properties").TryGetProperty("itemId", out _));
        Assert.True(schemas.GetProperty("DecisionNotice").GetProperty("properties").TryGetProperty("overturns", out _));
        Assert.True(schemas.GetProperty("DecisionNotice").GetProperty("properties").TryGetProperty("marking", out _));
        Assert.True(schemas.GetProperty("Marking").GetProperty("properties").TryGetProperty("c2paAssertions", out _));
        Assert.True(schemas.GetProperty("FieldErrors").GetProperty("properties").TryGetProperty("errors", out _));
        Assert.True(schemas.GetProperty("RemovalRequestBody").GetProperty("properties").TryGetProperty("generationIds", out _));
        Assert.True(schemas.GetProperty("RemovalReceipt").GetProperty("properties").TryGetProperty("dueAt", out _));

        var submit = root.GetProperty("paths").GetProperty("/api/v1/generations").GetProperty("post").GetProperty("responses");
        Assert.Equal(["200", "400", "401", "413", "422", "503"], submit.EnumerateObject().Select(r => r.Name).Order().ToArray());
        var read = root.GetProperty("paths").GetProperty("/api/v1/decisions").GetProperty("get");
        Assert.Equal(["after", "limit"], read.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).Order().ToArray());
    }

    [Fact]
    public async Task Without_a_key_the_document_is_refused()
    {
        using var anonymous = new HttpClient { BaseAddress = console.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(ProducerApiDocument.Path)).StatusCode);
    }
}
