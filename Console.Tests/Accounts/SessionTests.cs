using System.Net;
using Dapper;
using Microsoft.AspNetCore.Components.Authorization;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Accounts;

/// <summary>Role changes and disabling are audited, and a session does not outlive the role it was signed in with.</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class SessionTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestConsole console = null!;

    public async ValueTask InitializeAsync() => console = await TestConsole.StartAsync(postgres);

    public async ValueTask DisposeAsync() => await console.DisposeAsync();

    [Fact]
    public async Task A_demoted_admin_loses_the_admin_pages_with_the_cookie_they_already_have()
    {
        using var admin = await console.ClientAsync(Roles.Admin);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/admin/jobs")).StatusCode);
        var email = await EmailOfLastUserAsync();

        await console.Service<UserStore>().ChangeRoleAsync(email, Roles.Moderator, Actor.Console);

        await Eventually.TrueAsync(async () => (await admin.GetAsync("/admin/jobs")).StatusCode == HttpStatusCode.Redirect,
            within: SessionCheck.CacheFor * 3);
        var after = await admin.GetAsync("/admin/jobs");
        Assert.StartsWith("/login", after.Headers.Location!.PathAndQuery);
        await using var connection = await console.OpenConnectionAsync();
        var details = await connection.QuerySingleAsync<string>("select details::text from audit_log where action = 'user.role_changed'");
        Assert.Contains("\"from\": \"admin\"", details);
        Assert.Contains("\"to\": \"moderator\"", details);
    }

    [Fact]
    public async Task A_disabled_person_cannot_use_their_session_nor_sign_in_and_enabling_restores_access()
    {
        using var auditor = await console.ClientAsync(Roles.Auditor);
        var email = await EmailOfLastUserAsync();
        var users = console.Service<UserStore>();

        await users.SetDisabledAsync(email, true, Actor.Console);

        await Eventually.TrueAsync(async () => (await auditor.GetAsync("/audit")).StatusCode == HttpStatusCode.Redirect,
            within: SessionCheck.CacheFor * 3);
        Assert.Null(await users.SignInAsync(email, TestData.Password, null));
        await users.SetDisabledAsync(email, false, Actor.Console);
        Assert.NotNull(await users.SignInAsync(email, TestData.Password, null));
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(["user.disabled", "user.enabled"],
            (await connection.QueryAsync<string>("select action from audit_log where action in ('user.disabled', 'user.enabled') order by id")).ToList());
    }

    [Fact]
    public async Task Signing_in_through_the_form_is_audited_and_so_is_a_wrong_password_without_it()
    {
        using var moderator = await console.ClientAsync(Roles.Moderator);
        var email = await EmailOfLastUserAsync();
        Assert.Null(await console.Service<UserStore>().SignInAsync(email, "not the password", "192.0.2.7"));

        await using var connection = await console.OpenConnectionAsync();
        var entries = (await connection.QueryAsync<(string Action, string ActorKind, string ActorId, string Details)>(
            "select action, actor_kind, actor_id, details::text from audit_log where action like 'user.login%' order by id")).ToList();
        var userId = await connection.ExecuteScalarAsync<long>("select id from users where email = @email", new { email });

        Assert.Equal([AuditActions.UserLogin, AuditActions.UserLoginFailed], entries.Select(e => e.Action));
        Assert.Equal(("user", userId.ToString()), (entries[0].ActorKind, entries[0].ActorId));
        Assert.Contains("remoteAddress", entries[0].Details);
        Assert.Contains(email, entries[1].Details);
        Assert.Contains("192.0.2.7", entries[1].Details);
        Assert.DoesNotContain("not the password", entries[1].Details);
    }

    [Fact]
    public async Task Signing_out_ends_the_session_on_the_server_so_a_copied_cookie_stops_working()
    {
        var jar = new System.Net.CookieContainer();
        using var auditor = await console.ClientAsync((await console.PersonAsync(Roles.Auditor)).Account, jar);
        using var copy = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = console.BaseAddress };
        copy.DefaultRequestHeaders.Add("Cookie", jar.GetCookieHeader(console.BaseAddress));
        Assert.Equal(HttpStatusCode.OK, (await copy.GetAsync("/audit")).StatusCode);

        var signedOut = await auditor.PostFormAsync("/audit", "/account/logout", []);
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);

        await Eventually.TrueAsync(async () => (await copy.GetAsync("/audit")).StatusCode == HttpStatusCode.Redirect,
            within: SessionCheck.CacheFor * 3);
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal("signed out", await connection.ExecuteScalarAsync<string>("select ended_reason from user_sessions"));
    }

    [Fact]
    public async Task An_admin_ends_a_persons_sessions_and_every_cookie_they_hold_stops_working()
    {
        using var moderator = await console.ClientAsync(Roles.Moderator);
        using var sameModeratorElsewhere = await console.ClientAsync(await AccountOfLastUserAsync());
        var person = await AccountOfLastUserAsync();
        var (_, admin) = await console.PersonAsync(Roles.Admin);
        var sessions = console.Service<UserSessions>();
        Assert.Equal(2, (await sessions.OpenCountsAsync(admin, AccountsRegistration.CookieLifetime))[person.Id]);

        Assert.Equal(2, await sessions.EndAllAsync(admin, person.Id));

        foreach (var client in new[] { moderator, sameModeratorElsewhere })
            await Eventually.TrueAsync(async () => (await client.GetAsync("/queue")).StatusCode == HttpStatusCode.Redirect,
                within: SessionCheck.CacheFor * 3);
        Assert.False((await sessions.OpenCountsAsync(admin, AccountsRegistration.CookieLifetime)).ContainsKey(person.Id));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => sessions.EndAllAsync(TestData.PrincipalOf(person), person.Id));
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'user.sessions_ended'"));
    }

    [Fact]
    public async Task Open_circuits_revalidate_their_session_through_the_console_s_provider()
    {
        await using var scope = console.Services.CreateAsyncScope();

        Assert.IsType<RevalidatingSessionStateProvider>(scope.ServiceProvider.GetRequiredService<AuthenticationStateProvider>());
    }

    [Fact]
    public async Task An_unknown_role_or_person_is_refused_naming_the_field()
    {
        var users = console.Service<UserStore>();
        var (account, _) = await console.PersonAsync(Roles.Moderator);

        var badRole = await Assert.ThrowsAsync<ArgumentException>(() => users.ChangeRoleAsync(account.Email, "superuser", Actor.Console));
        var nobody = await Assert.ThrowsAsync<ArgumentException>(() => users.SetDisabledAsync("nobody@example.org", true, Actor.Console));

        Assert.StartsWith("role:", badRole.Message);
        Assert.StartsWith("email:", nobody.Message);
    }

    private async Task<UserAccount> AccountOfLastUserAsync()
    {
        await using var connection = await console.OpenConnectionAsync();
        return await connection.QuerySingleAsync<UserAccount>(
            "select id, email, role, created_at as createdat, disabled_at as disabledat from users order by id desc limit 1");
    }

    private async Task<string> EmailOfLastUserAsync()
    {
        await using var connection = await console.OpenConnectionAsync();
        return await connection.QuerySingleAsync<string>("select email from users order by id desc limit 1");
    }
}
