using ModerationConsole.Scoring.Runtime;
using ModerationConsole.Scoring.Training;

namespace ModerationConsole.Scoring;

public static class ScoringRegistration
{
    public static WebApplicationBuilder AddScoring(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ScoringOptions>().Bind(builder.Configuration.GetSection(ScoringOptions.Section))
            .Validate(o => o.BatchSize is >= 1 and <= 4096, "Scoring:BatchSize must be between 1 and 4096")
            .Validate(o => o.RescoreChunkSize is >= 1 and <= 100_000, "Scoring:RescoreChunkSize must be between 1 and 100000")
            .Validate(o => o.ExecutionProvider.ToLowerInvariant() is "auto" or "cpu" or "cuda", "Scoring:ExecutionProvider must be auto, cpu or cuda")
            .ValidateOnStart();
        builder.Services.AddSingleton<ModelFolder>();
        builder.Services.AddSingleton<ClassifierStore>();
        builder.Services.AddSingleton<ClassifierHost>();
        builder.Services.AddSingleton<ScoringService>();
        builder.Services.AddSingleton<BacklogScoring>();
        builder.Services.AddSingleton<RescoreJob>();
        builder.Services.AddSingleton<Jobs.IJobHandler>(services => services.GetRequiredService<RescoreJob>());
        builder.Services.AddSingleton<PromptModelService>();
        builder.Services.AddHostedService<ScoringStartup>();
        builder.Services.AddSingleton<NewItemScoring>();
        builder.Services.AddHostedService(services => services.GetRequiredService<NewItemScoring>());
        return builder;
    }
}
