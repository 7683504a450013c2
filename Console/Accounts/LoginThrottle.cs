using System.Threading.RateLimiting;

namespace ModerationConsole.Accounts;

/// <summary>
/// Password guesses against one account, wherever they come from: at most <see cref="Attempts"/> sign-ins per account
/// in <see cref="Window"/>, besides the limit per client address. Guessing one person's password from many addresses
/// stays slow, and a flood from one address (or from everyone behind one proxy) cannot lock the whole team out.
/// </summary>
public sealed class LoginThrottle : IDisposable
{
    public const int Attempts = 10;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    private readonly PartitionedRateLimiter<string> perAccount = PartitionedRateLimiter.Create<string, string>(email =>
        RateLimitPartition.GetSlidingWindowLimiter(email,
            _ => new SlidingWindowRateLimiterOptions { PermitLimit = Attempts, Window = Window, SegmentsPerWindow = 5 }));

    /// <summary>False when the account has had its attempts for now; the password is then not even checked.</summary>
    public bool TryAttempt(string email)
    {
        using var lease = perAccount.AttemptAcquire(email.Trim().ToLowerInvariant());
        return lease.IsAcquired;
    }

    public void Dispose() => perAccount.Dispose();
}
