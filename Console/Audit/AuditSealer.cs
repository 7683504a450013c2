using Microsoft.Extensions.Options;

namespace ModerationConsole.Audit;

/// <summary>Chains new audit entries every <see cref="AuditOptions.SealInterval"/>, so the log is tamper-evident within seconds.</summary>
public sealed class AuditSealer(AuditChain chain, IOptions<AuditOptions> options, ILogger<AuditSealer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SealInterval);
        do
        {
            try
            {
                await chain.SealAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Nothing is lost: unsealed entries stay in the log and the next round chains them.
                logger.LogWarning(ex, "Sealing the audit chain failed; retrying at the next interval");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false) is true);
    }
}
