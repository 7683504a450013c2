using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Ingest;

namespace ModerationConsole.Producers;

/// <summary>What a producer says it understands (docs/contract.md, "Outcomes").</summary>
public sealed record Capabilities(bool Outcomes);

/// <summary>
/// POST /api/v1/capabilities: the producer declares it understands outcomes between approve and block. Until it does,
/// a restricted outcome reaches it as blocked, the reading that is safe for a platform that would only publish or not.
/// </summary>
public static class CapabilityEndpoints
{
    public const string Declared = "producer.capabilities_declared";

    public static IEndpointRouteBuilder MapProducerCapabilities(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/capabilities", DeclareAsync)
            .RequireProducerKey()
            .WithTags("decisions")
            .WithName("DeclareCapabilities")
            .WithSummary("Declare that this producer understands outcomes (age-restricted, labelled, not for distribution, limited visibility)")
            .WithDescription("With outcomes declared, a decision notice's decision is approved for a restricted outcome and its outcome and " +
                             "marking say what to do with the file; without, such a decision reads as blocked.")
            .Accepts<Capabilities>("application/json")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        return app;
    }

    private static Task<Results<Ok<Capabilities>, UnprocessableEntity<FieldErrors>, BadRequest<FieldErrors>>> DeclareAsync(HttpContext http, Db db) =>
        JsonSubmission.HandleAsync<Capabilities, Capabilities>(http, (producerId, capabilities, ct) =>
            db.InTransactionAsync(async (connection, transaction) =>
            {
                await connection.ExecuteAsync("update producers set understands_outcomes = @Outcomes where id = @producerId",
                    new { capabilities.Outcomes, producerId }, transaction);
                await AuditLog.AppendAsync(connection, transaction, Actor.Producer(producerId), Declared, null, new { capabilities.Outcomes });
                return capabilities;
            }, ct));
}
