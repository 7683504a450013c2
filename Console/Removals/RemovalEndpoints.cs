using Microsoft.AspNetCore.Http.HttpResults;
using ModerationConsole.Ingest;
using ModerationConsole.Producers;

namespace ModerationConsole.Removals;

/// <summary>The producer's side of removal requests: POST one, GET where it stands (docs/contract.md).</summary>
public static class RemovalEndpoints
{
    public static IEndpointRouteBuilder MapRemovalApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/removal-requests", SubmitAsync)
            .RequireProducerKey()
            .WithTags("removals")
            .WithName("SubmitRemovalRequest")
            .WithSummary("Relay a request that generations come down (NCII, a real person's likeness, copyright)")
            .WithDescription("The receipt carries the deadline the ground gives (48 hours for NCII). Sending the same requestId again " +
                             "answers the same receipt with status duplicate. Read the answer with GET /api/v1/removal-requests/{requestId}.")
            .Accepts<RemovalRequestBody>("application/json")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        app.MapGet("/api/v1/removal-requests/{requestId}", StatusAsync)
            .RequireProducerKey()
            .WithTags("removals")
            .WithName("GetRemovalRequest")
            .WithSummary("Where a removal request stands, with the answer to relay to the requester once there is one")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        return app;
    }

    private static Task<Results<Ok<RemovalReceipt>, UnprocessableEntity<FieldErrors>, BadRequest<FieldErrors>>> SubmitAsync(
        HttpContext http, RemovalIntake intake) =>
        JsonSubmission.HandleAsync<RemovalRequestBody, RemovalReceipt>(http, intake.SubmitAsync);

    private static async Task<Results<Ok<RemovalStatus>, NotFound>> StatusAsync(string requestId, HttpContext http, RemovalActions removals) =>
        await removals.StatusAsync(http.User.ProducerId(), requestId, http.RequestAborted) is { } status
            ? TypedResults.Ok(status)
            : TypedResults.NotFound();
}
