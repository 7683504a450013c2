namespace ModerationConsole.Accounts;

/// <summary>
/// Outside demo mode, says at start-up which demo accounts exist: they cannot sign in, and an operator who finds them
/// on a real deployment should disable them (<c>user disable EMAIL</c>).
/// </summary>
public sealed class DemoAccountWarning(UserStore users, DemoMode demoMode, ILogger<DemoAccountWarning> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (demoMode.On) return;
        var accounts = await users.DemoAccountsAsync(cancellationToken);
        if (accounts.Count > 0)
            logger.LogWarning("{Count} demo accounts exist ({Accounts}); outside demo mode they cannot sign in. Disable them with `user disable EMAIL`",
                accounts.Count, string.Join(", ", accounts));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
