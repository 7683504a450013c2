using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using ModerationConsole.Producers;

namespace ModerationConsole.Ingest;

/// <summary>
/// A producer's JSON submission that is stored or refused whole (an appeal, a removal request): a body that is not the
/// JSON asked for is 400, a refusal naming fields is 422, and a stored one answers its receipt.
/// </summary>
public static class JsonSubmission
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<Results<Ok<TReceipt>, UnprocessableEntity<FieldErrors>, BadRequest<FieldErrors>>> HandleAsync<TBody, TReceipt>(
        HttpContext http, Func<long, TBody, CancellationToken, Task<TReceipt>> submit)
    {
        TBody body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<TBody>(http.Request.Body, Json, http.RequestAborted)
                   ?? throw new JsonException("The body is empty.");
        }
        catch (JsonException ex)
        {
            return TypedResults.BadRequest(FieldErrors.OfJson(ex));
        }
        try
        {
            return TypedResults.Ok(await submit(http.User.ProducerId(), body, http.RequestAborted));
        }
        catch (FieldErrorsException refused)
        {
            return TypedResults.UnprocessableEntity(new FieldErrors(refused.Errors));
        }
    }
}
