using ModerationConsole.Embeddings;

namespace ModerationConsole.Heads;

public static class HeadsRegistration
{
    /// <summary>Embeddings, similar items, and the image heads learnt from moderators' decisions.</summary>
    public static WebApplicationBuilder AddLearnedHeads(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<HeadsOptions>().Bind(builder.Configuration.GetSection(HeadsOptions.Section))
            .Validate(o => o.MinimumPositives >= 10 && o.MinimumNegatives >= 10, "Heads:MinimumPositives and Heads:MinimumNegatives must be at least 10")
            .Validate(o => o.Every > TimeSpan.Zero && o.EmbedPastImagesEvery > TimeSpan.Zero, "Heads:Every and Heads:EmbedPastImagesEvery must be positive")
            .ValidateOnStart();
        builder.Services.AddSingleton<EmbeddingBackfill>();
        builder.Services.AddSingleton<EmbeddingBackfillJob>();
        builder.Services.AddSingleton<Jobs.IJobHandler>(services => services.GetRequiredService<EmbeddingBackfillJob>());
        builder.Services.AddSingleton<SimilarItems>();
        builder.Services.AddSingleton<HeadTraining>();
        builder.Services.AddSingleton<HeadTrainingJob>();
        builder.Services.AddSingleton<Jobs.IJobHandler>(services => services.GetRequiredService<HeadTrainingJob>());
        builder.Services.AddSingleton<ShadowComparison>();
        builder.Services.AddHostedService<HeadTrainingSchedule>();
        builder.Services.AddHostedService<EmbeddingBackfillSchedule>();
        return builder;
    }
}
