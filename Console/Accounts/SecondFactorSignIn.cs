using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ModerationConsole.Accounts;

/// <summary>
/// The step between a right password and a session: a short-lived cookie of its own ("pending") names the person and
/// what is still asked of them, a code (<see cref="Verify"/>) or enrolling an authenticator (<see cref="Enrol"/>). Only
/// then is a session opened and the session cookie issued, so a stolen password alone opens nothing.
/// </summary>
public static class SecondFactorSignIn
{
    public const string PendingScheme = "pending-second-factor";
    public const string Verify = "code";
    public const string Enrol = "enrol";
    private const string StageClaim = "stage";

    public static AuthenticationBuilder AddPendingSecondFactor(this AuthenticationBuilder authentication) =>
        authentication.AddCookie(PendingScheme, options =>
        {
            options.Cookie.Name = "moderation.pending";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.ExpireTimeSpan = TimeSpan.FromMinutes(5);
            options.SlidingExpiration = false;
            options.LoginPath = "/login";
        });

    /// <summary>What is still asked of <paramref name="account"/> after its password: a code, an enrolment, or nothing.</summary>
    public static async Task<string?> StageAsync(UserAccount account, SecondFactor factor, IOptions<AccountsOptions> options, DemoMode demo,
        CancellationToken ct)
    {
        if (await factor.IsEnrolledAsync(account.Id, ct)) return Verify;
        return !demo.On && options.Value.RequiresSecondFactor(account.Role) ? Enrol : null;
    }

    /// <summary>Holds the person at <paramref name="stage"/> and sends them to its page.</summary>
    public static async Task<IResult> HoldAsync(HttpContext http, UserAccount account, string stage, string returnUrl)
    {
        await http.SignInAsync(PendingScheme, new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, account.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new Claim(ClaimTypes.Name, account.Email),
            new Claim(StageClaim, stage),
        ], PendingScheme)));
        return Results.LocalRedirect($"/login/{stage}?returnUrl={Uri.EscapeDataString(returnUrl)}");
    }

    /// <summary>The person held at <paramref name="stage"/>, or null when nobody is (expired, or another stage).</summary>
    public static async Task<(long UserId, string Email)?> HeldAsync(HttpContext http, string stage)
    {
        var result = await http.AuthenticateAsync(PendingScheme);
        if (!result.Succeeded || result.Principal.FindFirstValue(StageClaim) != stage) return null;
        return long.TryParse(result.Principal.FindFirstValue(ClaimTypes.NameIdentifier), out var id)
            ? (id, result.Principal.FindFirstValue(ClaimTypes.Name) ?? "")
            : null;
    }

    public static IEndpointRouteBuilder MapSecondFactor(this IEndpointRouteBuilder app)
    {
        app.MapPost("/account/code", async ([FromForm] string? code, [FromForm] string? returnUrl, HttpContext http,
            SecondFactor factor, UserStore users, UserSessions sessions, LoginThrottle throttle) =>
        {
            var target = AccountsRegistration.SafeReturnUrl(returnUrl);
            if (await HeldAsync(http, Verify) is not { } held) return Results.LocalRedirect("/login");
            if (!throttle.TryAttempt($"second-factor:{held.UserId}"))
                return Results.LocalRedirect($"/login/{Verify}?error=throttled&returnUrl={Uri.EscapeDataString(target)}");
            if (!await factor.VerifyAsync(held.UserId, code ?? "", http.RequestAborted))
                return Results.LocalRedirect($"/login/{Verify}?error=1&returnUrl={Uri.EscapeDataString(target)}");
            return Results.LocalRedirect(await OpenSessionAsync(http, held.UserId, users, sessions) ? target : "/login");
        }).RequireRateLimiting(AccountsRegistration.LoginRateLimit);

        // Enrolling: the person held at enrolment after their password, or a signed-in person who chooses a second factor.
        app.MapPost("/account/enrol", async ([FromForm] string? code, [FromForm] string? returnUrl, HttpContext http,
            SecondFactor factor, UserStore users, UserSessions sessions, LoginThrottle throttle) =>
        {
            var target = AccountsRegistration.SafeReturnUrl(returnUrl);
            var held = await HeldAsync(http, Enrol);
            long? userId = held?.UserId ?? http.User.UserIdOrNull();
            if (userId is not { } id) return Results.LocalRedirect("/login");
            if (!throttle.TryAttempt($"second-factor:{id}"))
                return Results.LocalRedirect($"/login/{Enrol}?error=throttled&returnUrl={Uri.EscapeDataString(target)}");
            if (await factor.EnrolAsync(id, code ?? "", http.RequestAborted) is not { } recoveryCodes)
                return Results.LocalRedirect($"/login/{Enrol}?error=1&returnUrl={Uri.EscapeDataString(target)}");
            if (held is not null && !await OpenSessionAsync(http, id, users, sessions)) return Results.LocalRedirect("/login");
            return new RazorComponentResult<RecoveryCodesPage>(new { Codes = recoveryCodes, ReturnUrl = target });
        }).RequireRateLimiting(AccountsRegistration.LoginRateLimit);
        return app;
    }

    /// <summary>Ends the pending step and opens the session, as a password-only sign-in does; false when the account went away.</summary>
    private static async Task<bool> OpenSessionAsync(HttpContext http, long userId, UserStore users, UserSessions sessions)
    {
        await http.SignOutAsync(PendingScheme);
        if (await users.FindEnabledAsync(userId, http.RequestAborted) is not { } account) return false;
        var session = await sessions.OpenAsync(account.Id, http.Connection.RemoteIpAddress?.ToString(), http.RequestAborted);
        await http.SignInAsync(CookieScheme.Name, AccountPrincipal.For(account, session));
        return true;
    }
}
