using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;

namespace ModerationConsole.Accounts;

/// <summary>
/// Sign-in through the organisation's OpenID Connect provider (authorization code with PKCE). When the provider
/// answers, the person's groups are mapped to a console role, their account is made or updated
/// (<see cref="ExternalAccounts"/>), and a session is opened exactly as for a local sign-in: from there on the session
/// cookie and its server-side check are the same. A person whose groups map to no role is refused. Signing out ends
/// the session here and at the provider. The provider's own second factor applies; the console asks for none.
/// </summary>
public static class SingleSignOn
{
    public const string Scheme = "oidc";
    public const string SignedInWithClaim = "signed_in_with";
    public const string SignedInWith = "sso";

    public static AuthenticationBuilder AddSingleSignOn(this AuthenticationBuilder authentication, SingleSignOnOptions sso)
    {
        if (!sso.Enabled) return authentication;
        return authentication.AddOpenIdConnect(Scheme, options =>
        {
            options.Authority = sso.Authority;
            options.ClientId = sso.ClientId;
            options.ClientSecret = sso.ClientSecret;
            options.RequireHttpsMetadata = sso.RequireHttpsMetadata;
            options.ResponseType = "code";
            // A top-level GET back from the provider: the correlation and nonce cookies can be SameSite=Lax, which
            // browsers keep over plain HTTP too, where form_post's cross-site POST needs SameSite=None and Secure.
            options.ResponseMode = "query";
            options.CorrelationCookie.SameSite = SameSiteMode.Lax;
            options.NonceCookie.SameSite = SameSiteMode.Lax;
            options.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.Scope.Clear();
            foreach (var scope in new[] { "openid", "email", "profile", sso.RoleClaim }) options.Scope.Add(scope);
            options.MapInboundClaims = false;
            options.GetClaimsFromUserInfoEndpoint = true;
            options.ClaimActions.MapJsonKey(sso.RoleClaim, sso.RoleClaim);
            options.ClaimActions.MapJsonKey("email_verified", "email_verified");
            // The id token is kept in the session cookie to name the session when signing out at the provider.
            options.SaveTokens = true;
            options.SignInScheme = CookieScheme.Name;
            options.SignOutScheme = CookieScheme.Name;
            options.Events.OnTicketReceived = OpenSessionAsync;
            options.Events.OnRemoteFailure = context =>
            {
                context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SingleSignOn))
                    .LogWarning(context.Failure, "Single sign-on failed");
                context.Response.Redirect("/login?error=sso-failed");
                context.HandleResponse();
                return Task.CompletedTask;
            };
        });
    }

    /// <summary>The provider vouched for the person: map, provision, open a session, and sign in with the console's own principal.</summary>
    private static async Task OpenSessionAsync(TicketReceivedContext context)
    {
        var http = context.HttpContext;
        var sso = http.RequestServices.GetRequiredService<IOptions<SingleSignOnOptions>>().Value;
        var external = context.Principal!;
        var identity = new ExternalIdentity(
            Subject: $"{sso.Authority!.TrimEnd('/')}|{external.FindFirstValue("sub")}",
            Email: external.FindFirstValue("email") ?? "",
            EmailVerified: !string.Equals(external.FindFirstValue("email_verified"), "false", StringComparison.OrdinalIgnoreCase),
            Role: sso.RoleFor(external.FindAll(sso.RoleClaim).Select(c => c.Value)));
        var remoteAddress = http.Connection.RemoteIpAddress?.ToString();
        var account = await http.RequestServices.GetRequiredService<ExternalAccounts>().SignInAsync(identity, remoteAddress, http.RequestAborted);
        if (account is null)
        {
            context.Response.Redirect("/login?error=sso-refused");
            context.HandleResponse();
            return;
        }
        var session = await http.RequestServices.GetRequiredService<UserSessions>().OpenAsync(account.Id, remoteAddress, http.RequestAborted);
        context.Principal = AccountPrincipal.For(account, session, SignedInWith);
    }

    public static IEndpointRouteBuilder MapSingleSignOn(this IEndpointRouteBuilder app)
    {
        app.MapGet("/account/sso", (string? returnUrl, IOptions<SingleSignOnOptions> sso) => sso.Value.Enabled
            ? Results.Challenge(new AuthenticationProperties { RedirectUri = AccountsRegistration.SafeReturnUrl(returnUrl) }, [Scheme])
            : Results.LocalRedirect("/login"));
        return app;
    }

    /// <summary>
    /// Signing out of a session opened through the provider also signs out there (RP-initiated logout), which comes
    /// back to the sign-in page; false for everyone else.
    /// </summary>
    public static async Task<bool> SignOutAtProviderAsync(HttpContext http)
    {
        if (http.User.FindFirstValue(SignedInWithClaim) != SignedInWith
            || !http.RequestServices.GetRequiredService<IOptions<SingleSignOnOptions>>().Value.Enabled)
            return false;
        await http.SignOutAsync(Scheme, new AuthenticationProperties { RedirectUri = "/login" });
        return true;
    }
}
