namespace ModerationConsole.Wellness;

public static class WellnessRegistration
{
    public static WebApplicationBuilder AddWellness(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<WellnessOptions>().Bind(builder.Configuration.GetSection(WellnessOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => o.Window > TimeSpan.Zero && o.Window <= TimeSpan.FromDays(1), "Wellness:Window must be between a second and a day")
            .ValidateOnStart();
        builder.Services.AddSingleton<Exposures>();
        return builder;
    }
}
