using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using ModerationConsole.Accounts;
using ModerationConsole.Ingest;
using ModerationConsole.Producers;

namespace ModerationConsole.Appeals;

/// <summary>POST /api/v1/appeals: the producer submits its user's appeal.</summary>
public static class AppealEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

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

    private static async Task<Results<Ok<AppealReceipt>, UnprocessableEntity<FieldErrors>, BadRequest<FieldErrors>>> SubmitAsync(
        HttpContext http, AppealIntake intake)
    {
        AppealRequest request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<AppealRequest>(http.Request.Body, Json, http.RequestAborted)
                      ?? throw new JsonException("The body is empty.");
        }
        catch (JsonException ex)
        {
            return TypedResults.BadRequest(FieldErrors.OfJson(ex));
        }
        try
        {
            return TypedResults.Ok(await intake.SubmitAsync(http.User.ProducerId(), request, http.RequestAborted));
        }
        catch (FieldErrorsException refused)
        {
            return TypedResults.UnprocessableEntity(new FieldErrors(refused.Errors));
        }
    }
}
