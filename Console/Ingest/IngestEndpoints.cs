using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
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
            .RequireAuthorization(policy => policy.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).RequireRole(Roles.Producer))
            .DisableAntiforgery();

        api.MapPost("/generations", SubmitAsync);
        api.MapGet("/decisions", ReadDecisionsAsync);
        return app;
    }

    private static async Task<IResult> SubmitAsync(HttpContext http, IngestService ingest, IOptions<IngestOptions> options,
        SubmissionJsonConverters json)
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
            return Results.Json(new { errors = new[] { new FieldError("body", $"must be at most {options.Value.MaxMessageBytes} bytes") } },
                statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        try
        {
            if (body.Kind == JsonValueKind.Array)
                return Results.Ok(await ingest.SubmitAsync(http.User.ProducerId(), body, http.RequestAborted));
            if (body.Kind != JsonValueKind.Object)
                return BodyError("must be one generation object or an array of them");

            var receipt = (await ingest.SubmitAsync(http.User.ProducerId(), body, http.RequestAborted))[0];
            return receipt.Status == ReceiptStatus.Rejected
                ? Results.UnprocessableEntity(receipt)
                : Results.Ok(receipt);
        }
        catch (IngestBatchException ex)
        {
            return Results.BadRequest(new { errors = new[] { new FieldError("body", ex.Message) } });
        }
        catch (Exception ex) when (Data.Db.IsTransient(ex))
        {
            // Nothing was acknowledged: the producer sends the same items again (committed ones come back as duplicates).
            http.Response.Headers.RetryAfter = "2";
            return Results.Json(new { errors = new[] { new FieldError("body", "the database could not be reached; send the same items again") } },
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static async Task<IResult> ReadDecisionsAsync(HttpContext http, DecisionFeed feed, string? after, string? limit)
    {
        var errors = new List<FieldError>();
        long cursor = 0;
        var size = 100;
        if (after is not null && (!long.TryParse(after, out cursor) || cursor < 0))
            errors.Add(new FieldError("after", "must be a cursor returned by this endpoint (a non-negative integer)"));
        if (limit is not null && (!int.TryParse(limit, out size) || size is < 1 or > DecisionFeed.MaxPageSize))
            errors.Add(new FieldError("limit", $"must be an integer from 1 to {DecisionFeed.MaxPageSize}"));
        if (errors.Count > 0) return Results.BadRequest(new { errors });

        return Results.Ok(await feed.PageAsync(http.User.ProducerId(), cursor, size, http.RequestAborted));
    }

    private static IResult BodyError(string message) =>
        Results.BadRequest(new { errors = new[] { new FieldError("body", message) } });
}
