using System.Net;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using ModerationConsole.Data;
using OpenTelemetry.Metrics;

namespace ModerationConsole.Operations;

/// <summary>For operators: Prometheus metrics at <c>/metrics</c> (OpenTelemetry) and health checks at <c>/healthz</c>.</summary>
public static class OperationsRegistration
{
    public const string MetricsPath = "/metrics";
    public const string HealthPath = "/healthz";

    public static WebApplicationBuilder AddOperations(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<OperationsOptions>().Bind(builder.Configuration.GetSection(OperationsOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => (o.MetricsAllowedNetworks ?? []).All(n => IPNetwork.TryParse(n, out _)),
                "Operations:MetricsAllowedNetworks must be CIDR networks, e.g. 10.0.0.0/8")
            .ValidateOnStart();
        builder.Services.AddSingleton<CircuitCounter>();
        builder.Services.AddSingleton<Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler>(services => services.GetRequiredService<CircuitCounter>());
        builder.Services.AddSingleton<ConsoleMetrics>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ConsoleMetrics>());
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(ConsoleMetrics.MeterName)
            // Built into .NET: request rates and durations, Kestrel connections, GC and thread-pool figures.
            .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime")
            .AddPrometheusExporter());

        var connectionString = builder.Configuration.GetConnectionString(DataRegistration.ConnectionStringName)!;
        builder.Services.AddHealthChecks()
            .AddNpgSql(connectionString, name: "postgresql", timeout: TimeSpan.FromSeconds(5))
            .AddCheck<AuditSealingHealthCheck>("audit-chain")
            .AddCheck<AuditAppendOnlyHealthCheck>("audit-append-only");
        return builder;
    }

    public static WebApplication MapOperations(this WebApplication app)
    {
        app.MapHealthChecks(HealthPath, new HealthCheckOptions
        {
            // Status per check, no exception text: probes are unauthenticated.
            ResponseWriter = (http, report) => http.Response.WriteAsJsonAsync(new
            {
                status = report.Status.ToString(),
                checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), e.Value.Description }),
            }),
        });
        app.MapPrometheusScrapingEndpoint(MetricsPath).AddEndpointFilter(async (context, next) =>
        {
            var options = context.HttpContext.RequestServices.GetRequiredService<IOptions<OperationsOptions>>().Value;
            return MayScrape(context.HttpContext.Connection.RemoteIpAddress, options)
                ? await next(context)
                : Results.StatusCode(StatusCodes.Status403Forbidden);
        });
        return app;
    }

    internal static bool MayScrape(IPAddress? remote, OperationsOptions options)
    {
        if (remote is null) return false;
        if (IPAddress.IsLoopback(remote)) return true;
        if (remote.IsIPv4MappedToIPv6) remote = remote.MapToIPv4();
        return (options.MetricsAllowedNetworks ?? []).Any(n => IPNetwork.Parse(n).Contains(remote));
    }
}
