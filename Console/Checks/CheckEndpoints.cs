using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using ModerationConsole.Accounts;
using ModerationConsole.Ingest;
using ModerationConsole.Producers;

namespace ModerationConsole.Checks;

/// <summary>POST /api/v1/checks and /api/v1/checks/batch: the platform asks before it generates.</summary>
public static class CheckEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapCheckApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1")
            .RequireProducerKey()
            .WithTags("checks")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        api.MapPost("/checks", CheckAsync)
            .WithName("CheckGeneration")
            .WithSummary("Ask before generating: allow, allow_with_review, deny, require_verification or rate_limited, with every layer's reasons")
            .WithDescription("Layers: the account's standing, verified access to sensitive features, hourly quotas per tier and " +
                             "feature, the term lists, the prompt models against the policy's thresholds, and the source image against " +
                             "the block bank. The same checkId answers the stored verdict again.")
            .Accepts<CheckRequest>("application/json");
        api.MapPost("/checks/batch", CheckBatchAsync)
            .WithName("CheckGenerations")
            .WithSummary("Up to 100 checks at once, answered in order; one invalid check refuses the batch, naming its fields")
            .Accepts<CheckBatch>("application/json");
        return app;
    }

    private static Task<Results<Ok<CheckVerdict>, BadRequest<FieldErrors>>> CheckAsync(HttpContext http, CheckService checks) =>
        Handle<CheckRequest, CheckVerdict>(http, (producer, request) => checks.CheckAsync(producer, request, http.RequestAborted));

    private static Task<Results<Ok<CheckBatchVerdicts>, BadRequest<FieldErrors>>> CheckBatchAsync(HttpContext http, CheckService checks) =>
        Handle<CheckBatch, CheckBatchVerdicts>(http, (producer, batch) => checks.CheckBatchAsync(producer, batch, http.RequestAborted));

    private static async Task<Results<Ok<TResult>, BadRequest<FieldErrors>>> Handle<TRequest, TResult>(HttpContext http,
        Func<long, TRequest?, Task<TResult>> check)
    {
        TRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<TRequest>(http.Request.Body, Json, http.RequestAborted);
        }
        catch (JsonException ex)
        {
            return TypedResults.BadRequest(FieldErrors.OfJson(ex));
        }
        try
        {
            return TypedResults.Ok(await check(http.User.ProducerId(), request));
        }
        catch (FieldErrorsException refused)
        {
            return TypedResults.BadRequest(new FieldErrors(refused.Errors));
        }
    }
}
