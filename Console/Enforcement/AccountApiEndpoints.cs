using Microsoft.AspNetCore.Http.HttpResults;
using ModerationConsole.Accounts;
using ModerationConsole.Ingest;
using ModerationConsole.Producers;

namespace ModerationConsole.Enforcement;

/// <summary>What producers read about their users: the notices feed (a cursor, like decisions) and a user's standing now.</summary>
public static class AccountApiEndpoints
{
    public static IEndpointRouteBuilder MapAccountApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1")
            .RequireProducerKey()
            .WithTags("users")
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        api.MapGet("/notices", ReadNoticesAsync)
            .WithName("ReadUserNotices")
            .WithSummary("Notices about users' accounts after a cursor, oldest first")
            .WithDescription("Enforcement applied or lifted and appeal outcomes, each with the statement of reasons in the user's " +
                             "language. Store the cursor of the last notice processed and ask for after= it: none is missed. " +
                             "userId= narrows to one user.");
        api.MapGet("/users/{userId}/standing", ReadStandingAsync)
            .WithName("ReadUserStanding")
            .WithSummary("A user's standing now: status, active strike weight, restricted features, actions in force");
        return app;
    }

    private static async Task<Results<Ok<UserNoticePage>, BadRequest<FieldErrors>>> ReadNoticesAsync(
        HttpContext http, UserNoticeFeed feed, string? after, string? limit, string? userId)
    {
        var errors = new List<FieldError>();
        var (cursor, size) = CursorQuery.Read(after, limit, UserNoticeFeed.MaxPageSize, errors);
        if (userId is { Length: 0 or > 128 }) errors.Add(new FieldError("userId", "must be 1 to 128 characters"));
        if (errors.Count > 0) return TypedResults.BadRequest(new FieldErrors(errors));
        return TypedResults.Ok(await feed.PageAsync(http.User.ProducerId(), cursor, size, userId, http.RequestAborted));
    }

    private static async Task<Results<Ok<UserStanding>, BadRequest<FieldErrors>>> ReadStandingAsync(
        HttpContext http, StandingReader standing, string userId)
    {
        if (userId.Length is 0 or > 128) return TypedResults.BadRequest(FieldErrors.Of("userId", "must be 1 to 128 characters"));
        return TypedResults.Ok(await standing.StandingAsync(http.User.ProducerId(), userId, http.RequestAborted));
    }
}
