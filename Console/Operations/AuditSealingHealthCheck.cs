using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ModerationConsole.Data;

namespace ModerationConsole.Operations;

/// <summary>
/// Degraded when audit entries have waited more than five minutes for their place in the hash chain: the log still
/// records everything, but new entries are not yet tamper-evident (a stuck sealer, or a very long transaction).
/// </summary>
public sealed class AuditSealingHealthCheck(Db db) : IHealthCheck
{
    public static readonly TimeSpan Tolerated = TimeSpan.FromMinutes(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var oldest = await db.ReadAsync(c => c.ExecuteScalarAsync<DateTime?>(
            "select min(at) from audit_log where id > coalesce((select max(entry_id) from audit_chain), 0)"), cancellationToken);
        if (oldest is null) return HealthCheckResult.Healthy("every audit entry is chained");
        var waiting = DateTime.UtcNow - DateTime.SpecifyKind(oldest.Value, DateTimeKind.Utc);
        return waiting <= Tolerated
            ? HealthCheckResult.Healthy($"the oldest unchained entry waited {waiting.TotalSeconds:0} s")
            : HealthCheckResult.Degraded($"audit entries have waited {waiting.TotalMinutes:0} min to be chained");
    }
}
