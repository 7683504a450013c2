namespace ModerationConsole.Queue;

public static class QueueRegistration
{
    public static WebApplicationBuilder AddQueue(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<QueueOptions>().Bind(builder.Configuration.GetSection(QueueOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ClaimService>();
        builder.Services.AddSingleton<QueueCountsReader>();
        return builder;
    }
}
