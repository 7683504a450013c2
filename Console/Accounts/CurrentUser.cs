using System.Globalization;
using System.Security.Claims;
using ModerationConsole.Audit;

namespace ModerationConsole.Accounts;

public static class CurrentUser
{
    /// <summary>The signed-in person's user id; throws for anyone else, so a missing check fails loudly.</summary>
    /// <summary>The signed-in person's id, or null when the principal is no person with a session cookie.</summary>
    public static long? UserIdOrNull(this ClaimsPrincipal principal) =>
        principal.Identity is { IsAuthenticated: true, AuthenticationType: CookieScheme.Name }
            && long.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;

    public static long UserId(this ClaimsPrincipal principal)
    {
        if (principal.Identity?.AuthenticationType != CookieScheme.Name)
            throw new UnauthorizedAccessException("The caller is not a signed-in person.");
        return long.Parse(principal.FindFirstValue(ClaimTypes.NameIdentifier)
                          ?? throw new UnauthorizedAccessException("The caller has no user id."), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The audit actor for a change the principal asks for, when their role satisfies <paramref name="policy"/>; throws
    /// otherwise. Services that change things call this themselves, so the role is checked on the server whichever page,
    /// endpoint or circuit the call came through.
    /// </summary>
    public static Actor ActorUnder(this ClaimsPrincipal principal, string policy) => Actor.User(principal.UserIdUnder(policy));

    /// <summary>The principal's user id when their role satisfies <paramref name="policy"/>; throws <paramref name="refusal"/> otherwise.</summary>
    public static long UserIdUnder(this ClaimsPrincipal principal, string policy, string? refusal = null) =>
        principal.Satisfies(policy)
            ? principal.UserId()
            : throw new UnauthorizedAccessException(refusal ?? $"Your role may not do this: it needs {policy} ({string.Join(", ", Policies.RolesOf[policy])}).");

    /// <summary>Whether the principal satisfies one of the named role policies of <see cref="Policies"/>.</summary>
    public static bool Satisfies(this ClaimsPrincipal principal, string policy) =>
        principal.Identity?.AuthenticationType == CookieScheme.Name
        && Policies.RolesOf.TryGetValue(policy, out var roles) && roles.Any(principal.IsInRole);
}

public static class CookieScheme
{
    public const string Name = "Cookies";
}

public static class AccountPrincipal
{
    /// <summary>The principal a signed-in person carries in their cookie: id, email, role and session, nothing else.</summary>
    /// <param name="signedInWith">How the person signed in, when not with a password (<see cref="SingleSignOn.SignedInWith"/>).</param>
    public static ClaimsPrincipal For(UserAccount account, Guid? session = null, string? signedInWith = null) => new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, account.Id.ToString(CultureInfo.InvariantCulture)),
            new Claim(ClaimTypes.Name, account.Email),
            new Claim(ClaimTypes.Role, account.Role),
            .. session is { } id ? [new Claim(UserSessions.ClaimType, id.ToString())] : Array.Empty<Claim>(),
            .. signedInWith is not null ? [new Claim(SingleSignOn.SignedInWithClaim, signedInWith)] : Array.Empty<Claim>(),
        ], CookieScheme.Name, ClaimTypes.Name, ClaimTypes.Role));
}
