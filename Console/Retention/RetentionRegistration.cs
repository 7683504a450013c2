namespace ModerationConsole.Retention;

public static class RetentionRegistration
{
    /// <summary>Legal holds, the retention policy and its daily purge job.</summary>
    public static WebApplicationBuilder AddRetention(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RetentionOptions>().Bind(builder.Configuration.GetSection(RetentionOptions.Section));
        builder.Services.AddSingleton<LegalHolds>();
        builder.Services.AddSingleton<RetentionPolicies>();
        builder.Services.AddSingleton<RetentionPurge>();
        builder.Services.AddSingleton<Jobs.IJobHandler>(services => services.GetRequiredService<RetentionPurge>());
        builder.Services.AddHostedService<RetentionSchedule>();
        return builder;
    }
}
