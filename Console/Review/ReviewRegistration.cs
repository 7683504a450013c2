namespace ModerationConsole.Review;

public static class ReviewRegistration
{
    public static WebApplicationBuilder AddReview(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ReviewActions>();
        builder.Services.AddSingleton<HeldDecisions>();
        builder.Services.AddHostedService<HeldDecisionRelease>();
        builder.Services.AddSingleton<ReviewItemReader>();
        builder.Services.AddSingleton<Overturns>();
        builder.Services.AddSingleton<ItemHistoryReader>();
        builder.Services.AddSingleton<ItemNotes>();
        builder.Services.AddSingleton<ReReviews>();
        builder.Services.AddSingleton<NearDuplicates>();
        return builder;
    }

    public static IEndpointRouteBuilder MapReview(this IEndpointRouteBuilder app) => app.MapReviewImages();
}
