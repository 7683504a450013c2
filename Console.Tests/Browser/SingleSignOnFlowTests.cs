using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Playwright;
using ModerationConsole.Audit;
using ModerationConsole.Tests.Infrastructure;
using Npgsql;

namespace ModerationConsole.Tests.Browser;

/// <summary>
/// Single sign-on through a real OpenID Connect provider (oidc-provider on loopback), in headless Chromium: people get
/// the console role their groups map to, made at their first sign-in and changed when the provider changes it;
/// someone whose groups map to no role is refused; signing out ends the session here and at the provider.
/// </summary>
[Trait(TestKind.Trait, TestKind.Browser)]
public sealed class SingleSignOnFlowTests(PostgresFixture postgres)
{
    [Fact]
    public async Task People_sign_in_with_the_role_their_groups_give_follow_a_change_at_the_provider_and_are_refused_without_one()
    {
        var db = await postgres.CreateDatabaseAsync();
        await using var provider = await OidcProvider.StartAsync();
        await provider.SetAccountsAsync(new Dictionary<string, (string, string[])>
        {
            ["alice"] = ("alice@example.test", ["staff", "ts-leads"]),
            ["bob"] = ("bob@example.test", ["marketing"]),
        });
        await using var console = await ConsoleProcess.ServeAtAsync(ConsoleProcess.Database(db), provider.ConsoleAddress.ToString().TrimEnd('/'),
            provider.ConsoleSettings("ts-leads=admin", "ts-reviewers=moderator"));
        await using var browser = await BrowserSession.StartAsync(console.BaseAddress);
        var page = browser.Page;

        await SignInThroughProviderAsync(page, "alice");
        await ExpectSignedInAsync(page, "alice@example.test (admin)");
        await SignOutAsync(page);
        await page.GotoAsync("/admin/users");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/login"));

        // Moved to the reviewers at the provider: the next sign-in is a moderator's.
        await provider.SetAccountsAsync(new Dictionary<string, (string, string[])>
        {
            ["alice"] = ("alice@example.test", ["ts-reviewers"]),
            ["bob"] = ("bob@example.test", ["marketing"]),
        });
        await SignInThroughProviderAsync(page, "alice");
        await ExpectSignedInAsync(page, "alice@example.test (moderator)");
        await SignOutAsync(page);

        await SignInThroughProviderAsync(page, "bob");
        await Assertions.Expect(page.GetByTestId("login-error")).ToContainTextAsync("no role in this console");

        await using var connection = new NpgsqlConnection(db);
        var audited = (await connection.QueryAsync<(string Action, string? Reason)>(
            "select action, details->>'reason' from audit_log where details->>'via' = 'single sign-on' order by id")).ToList();
        Assert.Equal(
        [
            (AuditActions.UserCreated, null), (AuditActions.UserLogin, null),
            (AuditActions.UserRoleChanged, null), (AuditActions.UserLogin, null),
            (AuditActions.UserLoginFailed, "no group at the identity provider maps to a role"),
        ], audited);
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from users where external_subject is not null and password_hash is null"));
    }

    /// <summary>From the console's sign-in page through the provider's own pages (sign-in, and consent the first time).</summary>
    private static async Task SignInThroughProviderAsync(IPage page, string login)
    {
        await page.GotoAsync("/login");
        await page.GetByTestId("sign-in-sso").ClickAsync();
        await page.FillAsync("input[name=login]", login);
        await page.FillAsync("input[name=password]", "any password: the provider's sign-in page takes any");
        await page.ClickAsync("button[type=submit]");
        var consent = page.Locator("button:has-text('Continue')");
        await page.Locator("[data-testid=person-menu], [data-testid=login-error], button:has-text('Continue')").First.WaitForAsync();
        if (await consent.IsVisibleAsync()) await consent.ClickAsync();
    }

    /// <summary>The person menu names who is signed in, with their role; it stays open for signing out.</summary>
    private static async Task ExpectSignedInAsync(IPage page, string who)
    {
        await page.Locator("[data-testid=person-menu] button").ClickAsync();
        await Assertions.Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync(who);
    }

    /// <summary>Signs out of the console, which sends the browser to the provider to end its session there too.</summary>
    private static async Task SignOutAsync(IPage page)
    {
        await page.GetByTestId("sign-out").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Yes, sign me out" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/login$"));
    }
}
