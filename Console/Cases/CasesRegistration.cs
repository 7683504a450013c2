namespace ModerationConsole.Cases;

public static class CasesRegistration
{
    /// <summary>Cases, their automatic intake from confirmed child-safety blocks, evidence bundles and CyberTipline packages.</summary>
    public static WebApplicationBuilder AddCases(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<CasesOptions>().Bind(builder.Configuration.GetSection(CasesOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<CaseOpening>();
        builder.Services.AddSingleton<CaseIntake>();
        builder.Services.AddSingleton<CaseStore>();
        builder.Services.AddSingleton<EvidenceSealing>();
        builder.Services.AddSingleton<CyberTiplinePackage>();
        builder.Services.AddHostedService<CaseIntakeService>();
        return builder;
    }

    public static IEndpointRouteBuilder MapCases(this IEndpointRouteBuilder app) => app.MapCaseDownloads();
}
