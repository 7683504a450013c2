using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using ModerationConsole.Accounts;
using ModerationConsole.Producers;

namespace ModerationConsole.Ingest;

/// <summary>
/// The OpenAPI document of the producers' HTTP API, generated from the endpoints themselves (their typed results and
/// metadata) and served at <see cref="Path"/> to producers' keys. Only the public routes under <c>/api/</c> are in it:
/// the pages and the people's endpoints are the console's own, not a contract.
/// </summary>
public static class ProducerApiDocument
{
    public const string Name = "v1";
    public const string Path = "/openapi/v1.json";
    private const string ApiKeyScheme = "ApiKey";

    public static WebApplicationBuilder AddProducerApiDocument(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenApi(Name, options =>
        {
            options.ShouldInclude = description => description.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true;
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "ModerationConsole producer API",
                    Version = Name,
                    Description = "Submit flagged generations and read the decisions taken on them. The SignalR hub " +
                                  $"{IngestHub.Path} carries the same contract (docs/contract.md).",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[ApiKeyScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey,
                    In = ParameterLocation.Header,
                    Name = ApiKeys.HeaderName,
                    Description = "The producer's API key (`producer add NAME` prints it once).",
                };
                var requirement = new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyScheme, document)] = [] };
                foreach (var operation in document.Paths.Values.Where(path => path.Operations is not null).SelectMany(path => path.Operations!.Values))
                    operation.Security = [requirement];
                return Task.CompletedTask;
            });
        });
        return builder;
    }

    public static IEndpointRouteBuilder MapProducerApiDocument(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi(Path).RequireAuthorization(Policies.Producer);
        return app;
    }
}
