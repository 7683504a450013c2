using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ModerationConsole.Data;

namespace ModerationConsole.Operations;

/// <summary>
/// Degraded when the console's own database role could change or delete audit entries (it connects as the schema owner
/// or a superuser instead of a member of <see cref="ApplicationRole.Group"/>): the log is then protected by its
/// triggers and the hash chain only, not by the database's privileges.
/// </summary>
public sealed class AuditAppendOnlyHealthCheck(Db db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await db.ReadAsync(c => c.ExecuteScalarAsync<bool>(ApplicationRole.CanRewriteAuditSql), cancellationToken)
            ? HealthCheckResult.Degraded($"the console's database role may rewrite the audit log; connect as a member of {ApplicationRole.Group}")
            : HealthCheckResult.Healthy("the console's database role can only add audit entries");
}
