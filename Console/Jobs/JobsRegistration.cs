using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.PostgreSql;
using ModerationConsole.Accounts;
using ModerationConsole.Data;

namespace ModerationConsole.Jobs;

public static class JobsRegistration
{
    public const string DashboardPath = "/hangfire";

    /// <summary>
    /// Hangfire on the console's PostgreSQL (schema "hangfire", installed by the migrator). Hangfire keeps its storage
    /// and activator in static globals; the console registers its own instances first so that two consoles in one
    /// process (the tests) each run their jobs on their own database and services.
    /// </summary>
    public static WebApplicationBuilder AddJobs(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<JobsOptions>().Bind(builder.Configuration.GetSection(JobsOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        var options = builder.Configuration.GetSection(JobsOptions.Section).Get<JobsOptions>() ?? new JobsOptions();
        var connectionString = builder.Configuration.GetConnectionString(DataRegistration.ConnectionStringName)!;

        var storageOptions = new PostgreSqlStorageOptions
        {
            SchemaName = HangfireSchema.Name,
            PrepareSchemaIfNecessary = false,
            // LISTEN/NOTIFY: a worker takes a new job at once instead of at its next poll.
            EnableLongPolling = true,
            UseSlidingInvisibilityTimeout = true,
            InvisibilityTimeout = options.AbandonedAfter,
        };
        builder.Services.AddSingleton<JobStorage>(_ => new PostgreSqlStorage(
            new Hangfire.PostgreSql.Factories.NpgsqlConnectionFactory(connectionString, storageOptions), storageOptions));
        builder.Services.AddSingleton<JobActivator>(services => new AspNetCoreJobActivator(services.GetRequiredService<IServiceScopeFactory>()));
        builder.Services.AddHangfire((services, configuration) => configuration
            .UseLogProvider(new HangfireLogging(services.GetRequiredService<ILoggerFactory>()))
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings());
        if (options.WorkerCount > 0)
        {
            builder.Services.AddHangfireServer(server =>
            {
                server.Queues = options.EffectiveQueues;
                server.WorkerCount = options.WorkerCount;
                server.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
            });
        }

        builder.Services.AddSingleton<JobStore>();
        builder.Services.AddTransient<JobDispatcher>();
        builder.Services.AddHostedService<JobRecovery>();
        return builder;
    }

    /// <summary>The Hangfire dashboard, for admins only: the role is checked by ASP.NET Core's authorization, not Hangfire's.</summary>
    public static WebApplication MapJobs(this WebApplication app)
    {
        app.MapHangfireDashboardWithNoAuthorizationFilters(DashboardPath, new DashboardOptions
        {
            AppPath = "/admin/jobs",
            DisplayStorageConnectionString = false,
        }).RequireAuthorization(Policies.Admin);
        return app;
    }
}

public static class HangfireSchema
{
    public const string Name = "hangfire";

    /// <summary>Creates or upgrades Hangfire's tables; idempotent, run by the migrator under its lock.</summary>
    public static void Install(Npgsql.NpgsqlConnection connection) => PostgreSqlObjectsInstaller.Install(connection, Name);
}
