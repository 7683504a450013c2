using System.Net;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Accounts;

/// <summary>
/// A new password ends every other session of the person: their own change keeps the session they made it from, and
/// the command line's (a forgotten password) ends them all. A wrong current password changes nothing.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class PasswordChangeTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const string NewPassword = "a new and longer password";
    private TestConsole console = null!;

    public async ValueTask InitializeAsync() => console = await TestConsole.StartAsync(postgres);

    public async ValueTask DisposeAsync() => await console.DisposeAsync();

    private HttpClient Anonymous() =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = console.BaseAddress };

    private async Task<string?> SignInAsync(string email, string password) =>
        (await Anonymous().PostFormAsync("/login", "/account/login", new() { ["email"] = email, ["password"] = password })).Headers.Location?.ToString();

    [Fact]
    public async Task A_person_changes_their_password_and_their_other_sessions_end_while_this_one_stays()
    {
        var (moderator, _) = await console.PersonAsync(Roles.Moderator);
        using var here = await console.ClientAsync(moderator);
        using var elsewhere = await console.ClientAsync(moderator);

        var answer = await here.PostFormAsync("/account/password", "/account/password", new() { ["current"] = TestData.Password, ["next"] = NewPassword });

        Assert.Equal("/", answer.Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.OK, (await here.GetAsync("/queue")).StatusCode);
        await Eventually.TrueAsync(async () => (await elsewhere.GetAsync("/queue")).StatusCode == HttpStatusCode.Redirect);
        Assert.Equal("/", await SignInAsync(moderator.Email, NewPassword));
        Assert.StartsWith("/login?error=1", await SignInAsync(moderator.Email, TestData.Password));
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "select (details->>'sessionsEnded')::int from audit_log where action = @action", new { action = AuditActions.UserPasswordChanged }));
    }

    [Fact]
    public async Task A_wrong_current_password_or_a_short_new_one_is_refused_naming_the_field_and_changes_nothing()
    {
        var (moderator, _) = await console.PersonAsync(Roles.Moderator);
        using var here = await console.ClientAsync(moderator);

        var wrong = await here.PostFormAsync("/account/password", "/account/password", new() { ["current"] = "not the password", ["next"] = NewPassword });
        var tooShort = await here.PostFormAsync("/account/password", "/account/password", new() { ["current"] = TestData.Password, ["next"] = "short" });

        Assert.StartsWith("/account/password?error=current", wrong.Headers.Location?.ToString());
        Assert.StartsWith("/account/password?error=password", tooShort.Headers.Location?.ToString());
        Assert.Contains("is not the account&#x27;s password", await here.GetStringAsync(wrong.Headers.Location!.ToString()));
        Assert.Equal("/", await SignInAsync(moderator.Email, TestData.Password));
    }

    [Fact]
    public async Task The_command_line_sets_a_forgotten_password_and_ends_every_session_of_the_person()
    {
        var (senior, _) = await console.PersonAsync(Roles.Senior);
        using var signedIn = await console.ClientAsync(senior);

        var result = await ConsoleProcess.RunAsync(console.ConnectionString, NewPassword, "user", "password", senior.Email);

        Assert.Equal(0, result.ExitCode);
        await Eventually.TrueAsync(async () => (await signedIn.GetAsync("/rereviews")).StatusCode == HttpStatusCode.Redirect);
        Assert.Equal("/", await SignInAsync(senior.Email, NewPassword));
    }
}
