namespace ModerationConsole.Appeals;

public static class AppealsRegistration
{
    public static WebApplicationBuilder AddAppeals(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AppealIntake>();
        builder.Services.AddSingleton<AppealQueue>();
        builder.Services.AddSingleton<AppealDecisions>();
        builder.Services.AddSingleton<AppealStatistics>();
        return builder;
    }

    public static IEndpointRouteBuilder MapAppeals(this IEndpointRouteBuilder app) => app.MapAppealApi();
}
