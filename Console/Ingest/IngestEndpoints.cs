using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ModerationConsole.Accounts;
using ModerationConsole.Decisions;
using ModerationConsole.Producers;

namespace ModerationConsole.Ingest;

/// <summary>HTTP for producers without SignalR: submit generations, and read decisions from a cursor.</summary>
public static class IngestEndpoints
{
    public static IEndpointRouteBuilder MapIngestApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1")
            .RequireProducerKey()
            .WithTags("producers")
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        api.MapPost("/generations", SubmitAsync)
            .WithName("SubmitGenerations")
            .WithSummary("Submit one flagged generation, or an array of up to 500")
            .WithDescription("One object answers one receipt (200, or 422 when rejected); an array answers a receipt per item " +
                             "in order (200). A receipt is sent only after the item, its image, scores and audit entry have " +
                             "committed. 503 with Retry-After: nothing was acknowledged, send the same items again.")
            .Accepts<FlaggedGeneration>("application/json")
            .Produces<IngestReceipt[]>(StatusCodes.Status200OK)
            .Produces<FieldErrors>(StatusCodes.Status413PayloadTooLarge)
            .Produces<FieldErrors>(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/decisions", ReadDecisionsAsync)
            .WithName("ReadDecisions")
            .WithSummary("Decisions after a cursor, oldest first")
            .WithDescription("Store the cursor of the last notice processed and ask for after= it: no decision is missed. " +
                             "A notice with overturns set replaces the notice with that cursor.");
        return app;
    }

    private static async Task<Results<Ok<IngestReceipt>, Ok<IngestReceipt[]>, UnprocessableEntity<IngestReceipt>, BadRequest<FieldErrors>, JsonHttpResult<FieldErrors>>> SubmitAsync(
        HttpContext http, IngestService ingest, IOptions<IngestOptions> options, SubmissionJsonConverters json)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = options.Value.MaxMessageBytes;

        SubmittedBatch body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<SubmittedBatch>(http.Request.Body, json.ForBodies, http.RequestAborted)
                ?? throw new JsonException("The body is empty.");
        }
        catch (JsonException ex)
        {
            return BodyError($"is not valid JSON: {ex.Message}");
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TypedResults.Json(FieldErrors.Of("body", $"must be at most {options.Value.MaxMessageBytes} bytes"),
                statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        try
        {
            if (body.Kind == JsonValueKind.Array)
                return TypedResults.Ok(await ingest.SubmitAsync(http.User.ProducerId(), body, http.RequestAborted));
            if (body.Kind != JsonValueKind.Object)
                return BodyError("must be one generation object or an array of them");

            var receipt = (await ingest.SubmitAsync(http.User.ProducerId(), body, http.RequestAborted))[0];
            return receipt.Status == ReceiptStatus.Rejected
                ? TypedResults.UnprocessableEntity(receipt)
                : TypedResults.Ok(receipt);
        }
        catch (IngestBatchException ex)
        {
            return TypedResults.BadRequest(FieldErrors.Of("body", ex.Message));
        }
        catch (Exception ex) when (Data.Db.IsTransient(ex))
        {
            // Nothing was acknowledged: the producer sends the same items again (committed ones come back as duplicates).
            http.Response.Headers.RetryAfter = "2";
            return TypedResults.Json(FieldErrors.Of("body", "the database could not be reached; send the same items again"),
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static async Task<Results<Ok<DecisionPage>, BadRequest<FieldErrors>>> ReadDecisionsAsync(
        HttpContext http, DecisionFeed feed, string? after, string? limit)
    {
        var errors = new List<FieldError>();
        var (cursor, size) = CursorQuery.Read(after, limit, DecisionFeed.MaxPageSize, errors);
        if (errors.Count > 0) return TypedResults.BadRequest(new FieldErrors(errors));

        return TypedResults.Ok(await feed.PageAsync(http.User.ProducerId(), cursor, size, http.RequestAborted));
    }

    private static BadRequest<FieldErrors> BodyError(string message) => TypedResults.BadRequest(FieldErrors.Of("body", message));
}
