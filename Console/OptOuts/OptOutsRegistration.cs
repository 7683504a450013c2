namespace ModerationConsole.OptOuts;

public static class OptOutsRegistration
{
    /// <summary>The opt-out registry: matched at ingest, managed by producers' API and admins.</summary>
    public static WebApplicationBuilder AddOptOuts(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<OptOutRegistry>();
        return builder;
    }

    public static IEndpointRouteBuilder MapOptOuts(this IEndpointRouteBuilder app) => app.MapOptOutApi();
}
