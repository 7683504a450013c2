using System.Net;
using System.Text.RegularExpressions;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Tests.Infrastructure;
using OtpNet;

namespace ModerationConsole.Tests.Accounts;

/// <summary>
/// A second factor for local accounts: required for admins and seniors (their first sign-in enrols an authenticator),
/// a choice for everyone else; a code is asked after the password and before any session; recovery codes work once;
/// an admin resets a lost one. Codes are computed as an authenticator app would, from the key the page shows.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed partial class SecondFactorTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestConsole console = null!;

    public async ValueTask InitializeAsync() =>
        console = await TestConsole.StartAsync(postgres, "--Accounts:SecondFactorRequiredFor=admin,senior");

    public async ValueTask DisposeAsync() => await console.DisposeAsync();

    private HttpClient Browser() =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = console.BaseAddress };

    private static Task<HttpResponseMessage> PasswordAsync(HttpClient http, UserAccount account) =>
        http.PostFormAsync("/login", "/account/login", new() { ["email"] = account.Email, ["password"] = TestData.Password, ["returnUrl"] = "/admin/users" });

    private static Task<HttpResponseMessage> CodeAsync(HttpClient http, string stage, string code) =>
        http.PostFormAsync($"/login/{stage}", $"/account/{stage}", new() { ["code"] = code, ["returnUrl"] = "/admin/users" });

    /// <summary>The key the enrolment page shows, as the person types it into their app.</summary>
    private static async Task<Totp> AuthenticatorAsync(HttpClient http)
    {
        var page = await http.GetStringAsync("/login/enrol");
        Assert.Contains("data-testid=\"qr-code\"", page);
        return new Totp(Base32Encoding.ToBytes(Secret().Match(page).Groups[1].Value.Replace(" ", "")));
    }

    [GeneratedRegex("data-testid=\"secret\">([A-Z2-7 ]+)<")]
    private static partial Regex Secret();

    private static async Task<IReadOnlyList<string>> EnrolAsync(HttpClient http)
    {
        var authenticator = await AuthenticatorAsync(http);
        var answer = await CodeAsync(http, "enrol", authenticator.ComputeTotp());
        var page = await answer.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        return RecoveryCode().Matches(page).Select(m => m.Groups[1].Value).ToList();
    }

    [GeneratedRegex("<code>([a-z2-9]{5}-[a-z2-9]{5})</code>")]
    private static partial Regex RecoveryCode();

    private async Task<int> AuditedAsync(string action)
    {
        await using var connection = await console.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where action = @action", new { action });
    }

    [Fact]
    public async Task An_admins_first_sign_in_enrols_an_authenticator_before_any_session_and_shows_ten_recovery_codes_once()
    {
        var (admin, _) = await console.PersonAsync(Roles.Admin);
        using var http = Browser();

        var afterPassword = await PasswordAsync(http, admin);
        Assert.Equal("/login/enrol?returnUrl=%2Fadmin%2Fusers", afterPassword.Headers.Location?.ToString());
        // The password alone opens nothing.
        Assert.Equal(HttpStatusCode.Redirect, (await http.GetAsync("/admin/users")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/v1/decisions")).StatusCode);
        var authenticator = await AuthenticatorAsync(http);
        Assert.Contains("error=1", (await CodeAsync(http, "enrol", "000000")).Headers.Location?.ToString());

        var answer = await CodeAsync(http, "enrol", authenticator.ComputeTotp());
        var codes = RecoveryCode().Matches(await answer.Content.ReadAsStringAsync()).Select(m => m.Groups[1].Value).ToList();

        Assert.Equal(SecondFactor.RecoveryCodeCount, codes.Distinct().Count());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/admin/users")).StatusCode);
        Assert.Equal(1, await AuditedAsync(AuditActions.UserSecondFactorEnrolled));
        Assert.Equal(1, await AuditedAsync(AuditActions.UserSecondFactorFailed));
    }

    [Fact]
    public async Task Later_sign_ins_ask_for_a_fresh_code_a_used_code_is_refused_and_a_recovery_code_works_once()
    {
        var (admin, _) = await console.PersonAsync(Roles.Admin);
        Totp authenticator;
        IReadOnlyList<string> recovery;
        using (var first = Browser())
        {
            await PasswordAsync(first, admin);
            authenticator = await AuthenticatorAsync(first);
            var answer = await CodeAsync(first, "enrol", authenticator.ComputeTotp());
            recovery = RecoveryCode().Matches(await answer.Content.ReadAsStringAsync()).Select(m => m.Groups[1].Value).ToList();
        }

        using var second = Browser();
        Assert.Equal("/login/code?returnUrl=%2Fadmin%2Fusers", (await PasswordAsync(second, admin)).Headers.Location?.ToString());
        // The code that enrolled was used: seen over a shoulder, it opens nothing.
        Assert.Contains("error=1", (await CodeAsync(second, "code", authenticator.ComputeTotp())).Headers.Location?.ToString());
        var next = authenticator.ComputeTotp(DateTime.UtcNow.AddSeconds(30));
        Assert.Equal("/admin/users", (await CodeAsync(second, "code", next)).Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.OK, (await second.GetAsync("/admin/users")).StatusCode);

        using var third = Browser();
        await PasswordAsync(third, admin);
        Assert.Equal("/admin/users", (await CodeAsync(third, "code", recovery[3].ToUpperInvariant())).Headers.Location?.ToString());
        using var fourth = Browser();
        await PasswordAsync(fourth, admin);
        Assert.Contains("error=1", (await CodeAsync(fourth, "code", recovery[3])).Headers.Location?.ToString());
        Assert.Equal(1, await AuditedAsync(AuditActions.UserRecoveryCodeUsed));
    }

    [Fact]
    public async Task A_moderator_signs_in_with_a_password_alone_until_they_choose_a_second_factor()
    {
        var (moderator, _) = await console.PersonAsync(Roles.Moderator);
        using var http = Browser();

        Assert.Equal("/admin/users", (await PasswordAsync(http, moderator)).Headers.Location?.ToString());
        Assert.Equal(SecondFactor.RecoveryCodeCount, (await EnrolAsync(http)).Count);

        using var later = Browser();
        Assert.Equal("/login/code?returnUrl=%2Fadmin%2Fusers", (await PasswordAsync(later, moderator)).Headers.Location?.ToString());
        // Signed in, the second factor cannot be swapped for another phone's without an admin.
        Assert.Contains("data-testid=\"already-enrolled\"", await http.GetStringAsync("/login/enrol"));
        // The page has no form any more; the token of another of the person's pages carries the attempt.
        var swap = await http.PostFormAsync("/account/password", "/account/enrol", new() { ["code"] = "123456", ["returnUrl"] = "/" });
        Assert.Contains("error=1", swap.Headers.Location?.ToString());
    }

    [Fact]
    public async Task An_admin_resets_a_lost_second_factor_which_ends_the_persons_sessions_and_their_next_sign_in_enrols_again()
    {
        var (senior, _) = await console.PersonAsync(Roles.Senior);
        var (_, admin) = await console.PersonAsync(Roles.Admin);
        using var http = Browser();
        await PasswordAsync(http, senior);
        await EnrolAsync(http);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/rereviews")).StatusCode);

        await console.Service<SecondFactor>().ResetAsync(admin, senior.Id);

        await Eventually.TrueAsync(async () => (await http.GetAsync("/rereviews")).StatusCode == HttpStatusCode.Redirect);
        using var again = Browser();
        Assert.StartsWith("/login/enrol", (await PasswordAsync(again, senior)).Headers.Location?.ToString());
        Assert.Equal(1, await AuditedAsync(AuditActions.UserSecondFactorReset));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<SecondFactor>().ResetAsync(TestData.PrincipalOf(senior), senior.Id));
    }
}
