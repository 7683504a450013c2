using Dapper;
using Microsoft.Extensions.Options;
using ModerationConsole.Data;
using ModerationConsole.Policy;

namespace ModerationConsole.Hosting;

/// <summary>
/// Brings the database up to date before anything else uses it: applies pending migrations (as the schema owner when
/// <c>ConnectionStrings:Migrations</c> is set) and, on a new database, installs the configured default policy. Runs at
/// start of <c>serve</c> (as a hosted service, before the server listens) and as the <c>migrate</c> command.
/// </summary>
public sealed class DatabaseStartup(
    IConfiguration configuration, Db db, PolicyStore policies, IOptions<PolicyOptions> policyOptions, ILogger<DatabaseStartup> logger)
    : IHostedService
{
    public async Task<IReadOnlyList<string>> RunAsync(CancellationToken ct)
    {
        var applied = await Migrator.MigrateAsync(DataRegistration.MigrationsConnectionString(configuration), logger, ct);
        await policies.EnsureInstalledAsync(policyOptions.Value.ToDocument(), ct);
        if (await db.ReadAsync(c => c.ExecuteScalarAsync<bool>(ApplicationRole.CanRewriteAuditSql), ct))
            logger.LogWarning(
                "The console's database role can update or delete audit entries (it owns the schema or is a superuser). Connect " +
                "ConnectionStrings:{Console} as a member of {Group} and run migrations through ConnectionStrings:{Migrations} (docs/operations.md, \"Database roles\").",
                DataRegistration.ConnectionStringName, ApplicationRole.Group, DataRegistration.MigrationsConnectionStringName);
        return applied;
    }

    Task IHostedService.StartAsync(CancellationToken cancellationToken) => RunAsync(cancellationToken);

    Task IHostedService.StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
