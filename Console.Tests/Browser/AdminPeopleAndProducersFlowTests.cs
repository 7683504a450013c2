using System.Net;
using Dapper;
using Microsoft.Playwright;
using ModerationConsole.Tests.Infrastructure;
using Npgsql;

namespace ModerationConsole.Tests.Browser;

/// <summary>An admin manages producer keys and people in the browser; the server honours each change at once.</summary>
[Trait(TestKind.Trait, TestKind.Browser)]
public sealed class AdminPeopleAndProducersFlowTests(PostgresFixture postgres)
{
    [Fact]
    public async Task An_admin_creates_a_producer_key_shown_once_revokes_it_and_adds_and_promotes_a_moderator()
    {
        var db = await postgres.CreateDatabaseAsync();
        Assert.Equal(0, (await ConsoleProcess.RunAsync(db, TestData.Password, "user", "add", "admin@example.test", "--role", "admin")).ExitCode);
        await using var console = await ConsoleProcess.ServeAsync(db);
        await using var browser = await BrowserSession.StartAsync(console.BaseAddress);
        var page = browser.Page;
        await browser.SignInAsync("admin@example.test", TestData.Password);

        await page.GotoAsync("/admin/producers");
        await page.Locator("input[data-testid=new-producer], [data-testid=new-producer] input").FillAsync("image-platform");
        await page.GetByTestId("create-producer").ClickAsync();
        var key = (await page.GetByTestId("api-key").TextContentAsync())!.Trim();
        using var http = new HttpClient { BaseAddress = console.BaseAddress };
        http.DefaultRequestHeaders.Add("X-Api-Key", key);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/v1/decisions")).StatusCode);

        await page.GetByTestId("revoke").ClickAsync();
        await Assertions.Expect(page.GetByTestId("producer-row")).ToContainTextAsync("revoked");
        await Assertions.Expect(page.GetByTestId("api-key")).ToHaveCountAsync(0);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/v1/decisions")).StatusCode);

        await page.GotoAsync("/admin/users");
        await page.Locator("input[data-testid=new-email], [data-testid=new-email] input").FillAsync("new.moderator@example.test");
        await page.Locator("input[data-testid=new-password], [data-testid=new-password] input").FillAsync("short");
        await page.GetByTestId("add-user").ClickAsync();
        await Assertions.Expect(page.GetByTestId("users-error")).ToContainTextAsync("password: must be at least 12 characters");
        await page.Locator("input[data-testid=new-password], [data-testid=new-password] input").FillAsync(TestData.Password);
        await page.GetByTestId("add-user").ClickAsync();
        await Assertions.Expect(page.GetByTestId("user-row")).ToHaveCountAsync(2);
        await using var connection = new NpgsqlConnection(db);
        Assert.Equal("moderator", await connection.ExecuteScalarAsync<string>("select role from users where email = 'new.moderator@example.test'"));

        // Promote the new moderator to senior from the role menu of their row.
        await page.GetByTestId("role-new.moderator@example.test").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = "senior" }).ClickAsync();
        await Eventually.TrueAsync(async () =>
            await connection.ExecuteScalarAsync<string>("select role from users where email = 'new.moderator@example.test'") == "senior");

        Assert.Equal(["producer.created", "producer.revoked", "user.created", "user.role_changed"], (await connection.QueryAsync<string>(
            "select action from audit_log where action in ('producer.created', 'producer.revoked', 'user.created', 'user.role_changed') and actor_kind = 'user' order by id")).ToList());
        Assert.Contains("\"to\": \"senior\"", await connection.ExecuteScalarAsync<string>("select details::text from audit_log where action = 'user.role_changed'"));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where details::text like '%' || @key || '%'", new { key }));
    }
}
