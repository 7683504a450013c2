namespace ModerationConsole.Checks;

public static class ChecksRegistration
{
    public static WebApplicationBuilder AddChecks(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<CheckRules>();
        builder.Services.AddSingleton<StandingCache>();
        builder.Services.AddSingleton<CheckStore>();
        builder.Services.AddSingleton<CheckRecorder>();
        builder.Services.AddHostedService(services => services.GetRequiredService<CheckRecorder>());
        builder.Services.AddSingleton<CheckScoreTally>();
        builder.Services.AddHostedService(services => services.GetRequiredService<CheckScoreTally>());
        builder.Services.AddSingleton<PromptScoreBatcher>();
        builder.Services.AddSingleton<GenerationChecker>();
        builder.Services.AddSingleton<CheckService>();
        builder.Services.AddSingleton<TermStore>();
        builder.Services.AddSingleton<CheckReader>();
        builder.Services.AddSingleton<CheckPruning>();
        builder.Services.AddHostedService(services => services.GetRequiredService<CheckPruning>());
        builder.Services.AddOptions<CheckOptions>().BindConfiguration("Checks").ValidateOnStart()
            .Validate(o => o.RetentionDays is >= 1 and <= 3650, "Checks:RetentionDays must be from 1 to 3650");
        return builder;
    }

    public static IEndpointRouteBuilder MapChecks(this IEndpointRouteBuilder app) => app.MapCheckApi();
}

public sealed class CheckOptions
{
    /// <summary>How long each check is kept (for quotas, the account page and what-ifs); daily counts are kept after.</summary>
    public int RetentionDays { get; set; } = 30;
    /// <summary>How often old checks are pruned.</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromHours(1);
}
