using ModerationConsole.Hashing;

namespace ModerationConsole.Bank;

public static class BankRegistration
{
    /// <summary>PDQ options, the block bank (kept in memory, caught up from the database) and its admin page.</summary>
    public static WebApplicationBuilder AddBank(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<HashingOptions>().Bind(builder.Configuration.GetSection(HashingOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<BlockBank>();
        builder.Services.AddSingleton<BankAdministration>();
        builder.Services.AddHostedService<BankWarmUp>();
        return builder;
    }
}

/// <summary>Loads the bank at start, so the first ingest after a restart does not wait for a million entries.</summary>
internal sealed class BankWarmUp(BlockBank bank, ILogger<BankWarmUp> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await bank.CatchUpAsync(stoppingToken);
            logger.LogInformation("Block bank loaded: {Count} active hashes", bank.Count);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not fatal: every lookup catches up by itself.
            logger.LogWarning(ex, "Could not load the block bank at start; the first lookup will");
        }
    }
}
