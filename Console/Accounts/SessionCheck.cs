using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.Extensions.Caching.Memory;

namespace ModerationConsole.Accounts;

/// <summary>
/// A session is only as good as the account behind it and its record on the server: a disabled person, one whose role
/// changed, or a session that was ended (signed out, ended by an admin) loses what their cookie carries. Checked on every
/// request (the lookup is cached a few seconds) and, for open Blazor circuits, every <see cref="CircuitInterval"/>.
/// </summary>
public sealed class SessionCheck(UserStore users, IMemoryCache cache)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan CircuitInterval = TimeSpan.FromSeconds(30);

    public async Task<bool> IsCurrentAsync(ClaimsPrincipal principal, CancellationToken ct = default)
    {
        if (principal.Identity?.AuthenticationType != CookieScheme.Name) return true; // not a person's session
        var id = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        var role = principal.FindFirstValue(ClaimTypes.Role);
        if (!long.TryParse(id, out var userId) || role is null || UserSessions.SessionOf(principal) is not { } session) return false;
        var current = await cache.GetOrCreateAsync(("session-role", session), entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = CacheFor;
            return users.CurrentRoleAsync(userId, session, ct);
        });
        return current == role;
    }

    /// <summary>Cookie events: turn away a stale cookie and delete it, so the person signs in again.</summary>
    public static async Task ValidateCookieAsync(CookieValidatePrincipalContext context)
    {
        if (context.Principal is null) return;
        var check = context.HttpContext.RequestServices.GetRequiredService<SessionCheck>();
        if (await check.IsCurrentAsync(context.Principal, context.HttpContext.RequestAborted)) return;
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(CookieScheme.Name);
    }
}

/// <summary>Re-checks an open circuit's session, so a page left open does not outlive the account's role.</summary>
public sealed class RevalidatingSessionStateProvider(ILoggerFactory loggerFactory, SessionCheck check)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => SessionCheck.CircuitInterval;

    protected override Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken) =>
        check.IsCurrentAsync(authenticationState.User, cancellationToken);
}
