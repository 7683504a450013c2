namespace ModerationConsole.Removals;

public static class RemovalsRegistration
{
    /// <summary>Removal requests: intake (API and form), deadlines and reminders, acting on them.</summary>
    public static WebApplicationBuilder AddRemovals(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RemovalOptions>().Bind(builder.Configuration.GetSection(RemovalOptions.Section));
        builder.Services.AddSingleton<RemovalIntake>();
        builder.Services.AddSingleton<RemovalActions>();
        builder.Services.AddSingleton<RemovalReminders>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RemovalReminders>());
        return builder;
    }

    public static IEndpointRouteBuilder MapRemovals(this IEndpointRouteBuilder app) => app.MapRemovalApi();
}
