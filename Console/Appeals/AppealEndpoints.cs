using Microsoft.AspNetCore.Http.HttpResults;
using ModerationConsole.Accounts;
using ModerationConsole.Ingest;
using ModerationConsole.Producers;

namespace ModerationConsole.Appeals;

/// <summary>POST /api/v1/appeals: the producer submits its user's appeal.</summary>
public static class AppealEndpoints
{
    public static IEndpointRouteBuilder MapAppealApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/appeals", SubmitAsync)
            .RequireProducerKey()
            .WithTags("users")
            .WithName("SubmitAppeal")
            .WithSummary("Submit a user's appeal of a decision or of an action on their account")
            .WithDescription("Within the policy's appeal window, once per decision or action. Sending the same appealId again " +
                             "answers the same receipt with status duplicate. The outcome arrives as an appeal_decided notice.")
            .Accepts<AppealRequest>("application/json")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        return app;
    }

    private static Task<Results<Ok<AppealReceipt>, UnprocessableEntity<FieldErrors>, BadRequest<FieldErrors>>> SubmitAsync(
        HttpContext http, AppealIntake intake) =>
        JsonSubmission.HandleAsync<AppealRequest, AppealReceipt>(http, intake.SubmitAsync);
}
