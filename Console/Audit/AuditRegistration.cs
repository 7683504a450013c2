using ModerationConsole.Audit.Exports;
using ModerationConsole.Audit.Reports;

namespace ModerationConsole.Audit;

public static class AuditRegistration
{
    public static WebApplicationBuilder AddAudit(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuditOptions>().Bind(builder.Configuration.GetSection(AuditOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<AuditChain>();
        builder.Services.AddSingleton<AuditSearch>();
        builder.Services.AddSingleton<AuditVerification>();
        builder.Services.AddSingleton<ExportWriter>();
        builder.Services.AddSingleton<ReviewerStatistics>();
        builder.Services.AddSingleton<TransparencyReports>();
        builder.Services.AddSingleton<ExportJob>();
        builder.Services.AddSingleton<Jobs.IJobHandler>(services => services.GetRequiredService<ExportJob>());
        builder.Services.AddHostedService<AuditSealer>();
        return builder;
    }

    public static WebApplication MapAudit(this WebApplication app)
    {
        app.MapAuditExports();
        app.MapAuditReports();
        return app;
    }
}
