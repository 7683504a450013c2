using Microsoft.AspNetCore.Http.HttpResults;
using ModerationConsole.Audit;
using ModerationConsole.Ingest;
using ModerationConsole.Producers;

namespace ModerationConsole.OptOuts;

/// <summary>The producer's side of the opt-out registry (docs/contract.md, "Opt-outs").</summary>
public static class OptOutEndpoints
{
    public static IEndpointRouteBuilder MapOptOutApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/opt-outs", (HttpContext http, OptOutRegistry registry) =>
                JsonSubmission.HandleAsync<OptOutRequest, OptOutReceipt>(http, registry.AddAsync))
            .RequireProducerKey()
            .WithTags("opt-outs")
            .WithName("AddOptOut")
            .WithSummary("Register a person or creator who opted out: by platform user id, or by a picture (PDQ hash or the image)")
            .WithDescription("Generations naming the user in metadata subjectUserIds, or whose image is within the bank's PDQ distance of " +
                             "the picture, go to a person with the opt-out shown. The same optOutId again changes nothing.")
            .Accepts<OptOutRequest>("application/json")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        app.MapDelete("/api/v1/opt-outs/{optOutId}", async Task<Results<NoContent, NotFound>> (string optOutId, HttpContext http, OptOutRegistry registry) =>
                await registry.RemoveAsync(http.User.ProducerId(), optOutId, Actor.Producer(http.User.ProducerId()), http.RequestAborted)
                    ? TypedResults.NoContent()
                    : TypedResults.NotFound())
            .RequireProducerKey()
            .WithTags("opt-outs")
            .WithName("RemoveOptOut")
            .WithSummary("Take an opt-out back")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        return app;
    }
}
