namespace ModerationConsole.Enforcement;

public static class EnforcementRegistration
{
    public static WebApplicationBuilder AddEnforcement(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AccountActions>();
        builder.Services.AddSingleton<NoticeTemplates>();
        builder.Services.AddSingleton<UserNoticeFeed>();
        builder.Services.AddSingleton<StandingReader>();
        builder.Services.AddSingleton<AccountReader>();
        builder.Services.AddSingleton<LadderWhatIf>();
        return builder;
    }

    public static IEndpointRouteBuilder MapEnforcement(this IEndpointRouteBuilder app) => app.MapAccountApi();
}
