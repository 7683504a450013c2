using System.Net;
using ModerationConsole.Accounts;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Accounts;

/// <summary>With single sign-on on and local accounts switched off, a right password opens nothing.</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class LocalAccountsOffTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestConsole console = null!;

    // The provider is only reached when someone chooses to sign in with it; nothing here does.
    public async ValueTask InitializeAsync() => console = await TestConsole.StartAsync(postgres,
        "--Sso:Authority=https://idp.example.test/", "--Sso:ClientId=console", "--Sso:DisplayName=Example SSO", "--Sso:LocalAccounts=false");

    public async ValueTask DisposeAsync() => await console.DisposeAsync();

    [Fact]
    public async Task The_sign_in_page_offers_the_provider_only_and_a_right_password_is_refused()
    {
        var (moderator, _) = await console.PersonAsync(Roles.Moderator);
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = console.BaseAddress,
        };

        var page = await http.GetStringAsync("/login");
        Assert.Contains("Sign in with Example SSO", page);
        Assert.DoesNotContain("name=\"password\"", page);
        // The page has no form to take a token from, so the one of another page that has one is used.
        var answer = await http.PostFormAsync("/login/code", "/account/login", new() { ["email"] = moderator.Email, ["password"] = TestData.Password });

        Assert.Equal("/login?error=local-off", answer.Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.Redirect, (await http.GetAsync("/queue")).StatusCode);
    }
}
