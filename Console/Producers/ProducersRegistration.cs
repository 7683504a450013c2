namespace ModerationConsole.Producers;

public static class ProducersRegistration
{
    public static WebApplicationBuilder AddProducers(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ProducerStore>();
        return builder;
    }

    public static IEndpointRouteBuilder MapProducers(this IEndpointRouteBuilder app) => app.MapProducerCapabilities();
}
