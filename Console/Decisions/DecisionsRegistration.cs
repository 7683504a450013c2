namespace ModerationConsole.Decisions;

public static class DecisionsRegistration
{
    public static WebApplicationBuilder AddDecisions(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DecisionWriter>();
        builder.Services.AddSingleton<Enforcement.LadderHints>();
        builder.Services.AddSingleton<DecisionFeed>();
        builder.Services.AddSingleton<QueueSignals>();
        builder.Services.AddHostedService<DatabaseListener>();
        return builder;
    }
}
