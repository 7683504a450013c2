using System.Security.Claims;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Producers;

namespace ModerationConsole.Tests.Infrastructure;

/// <summary>People and producers for tests, created through the console's own stores (so they are audited like real ones).</summary>
public static class TestData
{
    private static int counter;

    public static Task<CreatedProducer> ProducerAsync(this TestConsole console, string? name = null) =>
        console.Service<ProducerStore>().CreateAsync(name ?? $"platform-{Interlocked.Increment(ref counter)}", Actor.Console);

    public const string Password = "correct horse battery staple";

    public static async Task<(UserAccount Account, ClaimsPrincipal Principal)> PersonAsync(this TestConsole console, string role, string? email = null)
    {
        var account = await console.Service<UserStore>().CreateAsync(
            email ?? $"{role}{Interlocked.Increment(ref counter)}@example.test", Password, role, Actor.Console);
        return (account, PrincipalOf(account));
    }

    public static ClaimsPrincipal PrincipalOf(UserAccount account) => AccountPrincipal.For(account);
}
