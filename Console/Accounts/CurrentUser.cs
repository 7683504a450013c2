using System.Globalization;
using System.Security.Claims;

namespace ModerationConsole.Accounts;

public static class CurrentUser
{
    /// <summary>The signed-in person's user id; throws for anyone else, so a missing check fails loudly.</summary>
    public static long UserId(this ClaimsPrincipal principal)
    {
        if (principal.Identity?.AuthenticationType != CookieScheme.Name)
            throw new UnauthorizedAccessException("The caller is not a signed-in person.");
        return long.Parse(principal.FindFirstValue(ClaimTypes.NameIdentifier)
                          ?? throw new UnauthorizedAccessException("The caller has no user id."), CultureInfo.InvariantCulture);
    }

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
    /// <summary>The principal a signed-in person carries in their cookie: id, email and role, nothing else.</summary>
    public static ClaimsPrincipal For(UserAccount account) => new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, account.Id.ToString(CultureInfo.InvariantCulture)),
            new Claim(ClaimTypes.Name, account.Email),
            new Claim(ClaimTypes.Role, account.Role),
        ], CookieScheme.Name, ClaimTypes.Name, ClaimTypes.Role));
}
