using System.Net;
using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Accounts;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Security;

/// <summary>What a red-team pass found, one specification per finding, each failing before its fix.</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class RedTeamFindingsTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestConsole console = null!;

    public async ValueTask InitializeAsync() => console = await TestConsole.StartAsync(postgres);

    public async ValueTask DisposeAsync() => await console.DisposeAsync();

    [Fact]
    public async Task A_demo_account_signs_in_only_in_demo_mode_and_its_session_ends_outside_it()
    {
        var account = await console.Service<UserStore>().CreateAsync("admin@demo.local", "demo-admin-password", Roles.Admin, Actor.Console, demo: true);
        var inDemo = new UserStore(console.Service<ModerationConsole.Data.Db>(), new DemoMode(true),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<UserStore>.Instance);

        Assert.NotNull(await inDemo.SignInAsync("admin@demo.local", "demo-admin-password", null));
        var session = await console.Service<UserSessions>().OpenAsync(account.Id, null);
        Assert.Equal(Roles.Admin, await inDemo.CurrentRoleAsync(account.Id, session));
        // This console is not in demo mode: the matching public password is refused, audited, and a session ends.
        Assert.Null(await console.Service<UserStore>().SignInAsync("admin@demo.local", "demo-admin-password", "203.0.113.9"));
        Assert.Null(await console.Service<UserStore>().CurrentRoleAsync(account.Id, session));
        Assert.Equal(["admin@demo.local"], await console.Service<UserStore>().DemoAccountsAsync());
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal("demo account outside demo mode", await connection.ExecuteScalarAsync<string>(
            "select details->>'reason' from audit_log where action = 'user.login_failed'"));
    }

    [Theory]
    [InlineData("/queue\r\nX-Injected: 1")]
    [InlineData("/\u0007admin")]
    [InlineData("/audit\t")]
    public async Task A_return_address_with_a_control_character_sends_the_person_home_instead_of_failing(string returnUrl)
    {
        var (account, _) = await console.PersonAsync(Roles.Moderator);
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = console.BaseAddress,
        };
        var response = await http.PostFormAsync("/login", "/account/login", new()
        {
            ["email"] = account.Email,
            ["password"] = TestData.Password,
            ["returnUrl"] = returnUrl,
        });

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.ToString());
        Assert.Equal("/", AccountsRegistration.SafeReturnUrl(returnUrl));
    }

    [Fact]
    public async Task Pages_apis_and_the_jobs_dashboard_carry_the_security_headers()
    {
        using var admin = await console.ClientAsync(Roles.Admin);
        using var anonymous = new HttpClient { BaseAddress = console.BaseAddress };

        foreach (var response in new[] { await anonymous.GetAsync("/login"), await anonymous.GetAsync("/api/v1/decisions"), await admin.GetAsync("/hangfire") })
        {
            Assert.Equal(Hosting.SecurityHeaders.ContentSecurityPolicy, string.Join(",", response.Headers.GetValues("Content-Security-Policy")));
            Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("same-origin", string.Join(",", response.Headers.GetValues("Referrer-Policy")));
            Assert.Equal("DENY", string.Join(",", response.Headers.GetValues("X-Frame-Options")));
        }
    }

}
