using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ModerationConsole.Producers;

namespace ModerationConsole.Accounts;

public static class AccountsRegistration
{
    public const string LoginRateLimit = "login";
    public static readonly TimeSpan CookieLifetime = TimeSpan.FromHours(8);

    public static WebApplicationBuilder AddAccounts(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<UserStore>();
        builder.Services.TryAddSingleton(DemoMode.Off); // serve --demo registers it on first
        builder.Services.AddHostedService<DemoAccountWarning>();
        builder.Services.AddMemoryCache();
        builder.Services.AddSingleton<SessionCheck>();
        builder.Services.AddSingleton<UserSessions>();
        builder.Services.AddSingleton<SecondFactor>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<AccountsOptions>().Bind(builder.Configuration.GetSection(AccountsOptions.Section));
        builder.Services.AddSingleton<ExternalAccounts>();
        builder.Services.AddSingleton<Passwords>();
        builder.Services.AddOptions<SingleSignOnOptions>().Bind(builder.Configuration.GetSection(SingleSignOnOptions.Section));
        var sso = builder.Configuration.GetSection(SingleSignOnOptions.Section).Get<SingleSignOnOptions>() ?? new SingleSignOnOptions();
        builder.Services.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, RevalidatingSessionStateProvider>();
        builder.Services
            .AddAuthentication(CookieScheme.Name)
            .AddCookie(CookieScheme.Name, options =>
            {
                options.LoginPath = "/login";
                options.AccessDeniedPath = "/denied";
                options.ExpireTimeSpan = CookieLifetime;
                options.SlidingExpiration = true;
                options.Cookie.Name = "moderation.auth";
                options.Cookie.HttpOnly = true;
                // Lax with single sign-on: the session begins on the navigation back from the provider's site, and a
                // Strict cookie would not be sent on the redirects that follow it. Forms carry antiforgery tokens either way.
                options.Cookie.SameSite = sso.Enabled ? SameSiteMode.Lax : SameSiteMode.Strict;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                // APIs and hubs answer 401/403; only pages redirect to the login form.
                options.Events.OnRedirectToLogin = context => RedirectOrStatus(context, StatusCodes.Status401Unauthorized);
                options.Events.OnRedirectToAccessDenied = context => RedirectOrStatus(context, StatusCodes.Status403Forbidden);
                options.Events.OnValidatePrincipal = SessionCheck.ValidateCookieAsync;
            })
            .AddPendingSecondFactor()
            .AddSingleSignOn(sso)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Producer, policy => policy
                .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser().RequireRole(Roles.Producer))
            .AddPersonPolicy(Policies.Review)
            .AddPersonPolicy(Policies.Escalations)
            .AddPersonPolicy(Policies.Admin)
            .AddPersonPolicy(Policies.Audit)
            .AddPersonPolicy(Policies.History)
            .AddPersonPolicy(Policies.Bank)
            .AddPersonPolicy(Policies.TeamWellness)
            .AddPersonPolicy(Policies.Accounts)
            .AddPersonPolicy(Policies.Cases)
            .AddPersonPolicy(Policies.ChildSafety);

        builder.Services.AddSingleton<LoginThrottle>();
        // Slow down password guessing: a handful of attempts per address per minute, and per account (LoginThrottle).
        builder.Services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy(LoginRateLimit, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = 10, Window = TimeSpan.FromMinutes(1) }));
        });
        return builder;
    }

    private static AuthorizationBuilder AddPersonPolicy(this AuthorizationBuilder builder, string name) =>
        builder.AddPolicy(name, policy => policy
            .AddAuthenticationSchemes(CookieScheme.Name)
            .RequireAuthenticatedUser()
            .RequireRole(Policies.RolesOf[name]));

    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder app)
    {
        app.MapPost("/account/login", async ([FromForm] string? email, [FromForm] string? password, [FromForm] string? returnUrl,
            HttpContext http, UserStore users, UserSessions sessions, LoginThrottle throttle, SecondFactor factor,
            IOptions<AccountsOptions> options, IOptions<SingleSignOnOptions> sso, DemoMode demo) =>
        {
            if (!sso.Value.LocalAccounts) return Results.LocalRedirect("/login?error=local-off");
            if (!string.IsNullOrEmpty(email) && !throttle.TryAttempt(email))
                return Results.LocalRedirect($"/login?error=throttled&returnUrl={Uri.EscapeDataString(SafeReturnUrl(returnUrl))}");
            var account = string.IsNullOrEmpty(email) || string.IsNullOrEmpty(password)
                ? null
                : await users.SignInAsync(email, password, http.Connection.RemoteIpAddress?.ToString(), http.RequestAborted);
            var target = SafeReturnUrl(returnUrl);
            if (account is null)
                return Results.LocalRedirect($"/login?error=1&returnUrl={Uri.EscapeDataString(target)}");

            // A second factor, when the person has one or their role requires one, comes before any session.
            if (await SecondFactorSignIn.StageAsync(account, factor, options, demo, http.RequestAborted) is { } stage)
                return await SecondFactorSignIn.HoldAsync(http, account, stage, target);
            var session = await sessions.OpenAsync(account.Id, http.Connection.RemoteIpAddress?.ToString(), http.RequestAborted);
            await http.SignInAsync(CookieScheme.Name, AccountPrincipal.For(account, session));
            return Results.LocalRedirect(target);
        }).RequireRateLimiting(LoginRateLimit);
        // A person's own password change: the other sessions end, this one stays.
        app.MapPost("/account/password", async ([FromForm] string? current, [FromForm] string? next, HttpContext http, Passwords passwords) =>
        {
            var problems = UserSessions.SessionOf(http.User) is { } session
                ? await passwords.ChangeOwnAsync(http.User.UserId(), session, current ?? "", next ?? "", http.RequestAborted)
                : ["session: sign in again"];
            return problems.Count == 0
                ? Results.LocalRedirect("/")
                : Results.LocalRedirect($"/account/password?error={Uri.EscapeDataString(string.Join("; ", problems))}");
        }).RequireAuthorization(policy => policy.AddAuthenticationSchemes(CookieScheme.Name).RequireAuthenticatedUser())
          .RequireRateLimiting(LoginRateLimit);
        app.MapSecondFactor();
        app.MapSingleSignOn();

        app.MapPost("/account/logout", async (HttpContext http, UserSessions sessions) =>
        {
            await sessions.EndAsync(http.User, http.RequestAborted);
            var atProvider = await SingleSignOn.SignOutAtProviderAsync(http); // reads the id token from the cookie
            await http.SignOutAsync(CookieScheme.Name);
            return atProvider ? Results.Empty : Results.LocalRedirect("/login");
        }).RequireAuthorization(policy => policy.AddAuthenticationSchemes(CookieScheme.Name).RequireAuthenticatedUser());
        return app;
    }

    /// <summary>Only paths on this site: an attacker's link must not turn the login form into an open redirect.</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal)
            && !returnUrl.StartsWith("/\\", StringComparison.Ordinal)
            && !returnUrl.Any(char.IsControl) // a control character is no local URL: redirecting to it would throw
            ? returnUrl
            : "/"; // home, which sends each role to its own page

    private static Task RedirectOrStatus(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        var path = context.Request.Path;
        if (path.StartsWithSegments("/api") || path.StartsWithSegments("/hubs") || path.StartsWithSegments("/review/images")
            || path.StartsWithSegments(Audit.Exports.ExportEndpoints.Prefix) || path.StartsWithSegments(Audit.Reports.ReportEndpoints.Prefix))
        {
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        }
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }
}
