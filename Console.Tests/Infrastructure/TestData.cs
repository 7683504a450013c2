using System.Security.Claims;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Policy;
using ModerationConsole.Producers;
using ModerationConsole.Queue;
using ModerationConsole.Review;

namespace ModerationConsole.Tests.Infrastructure;

/// <summary>People and producers for tests, created through the console's own stores (so they are audited like real ones).</summary>
public static class TestData
{
    private static int counter;

    public static Task<CreatedProducer> ProducerAsync(this TestConsole console, string? name = null) =>
        console.Service<ProducerStore>().CreateAsync(name ?? $"platform-{Interlocked.Increment(ref counter)}", Actor.Console);

    public const string Password = "correct horse battery staple";

    public static async Task<(UserAccount Account, ClaimsPrincipal Principal)> PersonAsync(this TestConsole console, string role, string? email = null)
    {
        var account = await console.Service<UserStore>().CreateAsync(
            email ?? $"{role}{Interlocked.Increment(ref counter)}@example.test", Password, role, Actor.Console);
        return (account, PrincipalOf(account));
    }

    public static ClaimsPrincipal PrincipalOf(UserAccount account) => AccountPrincipal.For(account);

    /// <summary>
    /// A moderator works the standard queue until it is empty, deciding each item on its one score: blocked for the
    /// categories <paramref name="blockFor"/> names, approved when it names none.
    /// </summary>
    public static async Task DecideQueueAsync(this TestConsole console, ClaimsPrincipal moderator,
        Func<string, double, IReadOnlyList<string>> blockFor)
    {
        var claims = console.Service<ClaimService>();
        var actions = console.Service<ReviewActions>();
        await using var connection = await console.OpenConnectionAsync();
        while (await claims.ClaimNextAsync(moderator, Queues.Standard) is { } claim)
        {
            var (category, score) = await connection.QuerySingleAsync<(string, double)>(
                "select category, score::float8 from item_scores where item_id = @ItemId", claim);
            var categories = blockFor(category, score);
            if (categories.Count > 0) await actions.BlockAsync(moderator, claim, categories, null);
            else await actions.ApproveAsync(moderator, claim, null);
        }
    }
}

/// <summary>An HTTP client signed in through the real login form (antiforgery token and cookie included).</summary>
public static partial class SignedIn
{
    public static async Task<HttpClient> ClientAsync(this TestConsole console, string role) =>
        await console.ClientAsync((await console.PersonAsync(role)).Account);

    /// <param name="cookies">Where the session cookie lands, for a test that copies it as an attacker would.</param>
    /// <param name="at">Another instance on the same database to sign in through, instead of this one.</param>
    public static async Task<HttpClient> ClientAsync(this TestConsole console, UserAccount account, System.Net.CookieContainer? cookies = null,
        Uri? at = null)
    {
        var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies ?? new System.Net.CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = at ?? console.BaseAddress,
        };
        var response = await http.PostFormAsync("/login", "/account/login", new()
        {
            ["email"] = account.Email,
            ["password"] = TestData.Password,
        });
        Assert.True(response.Headers.Location?.ToString() == "/", $"sign-in as {account.Email} failed: {response.StatusCode} {response.Headers.Location}");
        return http;
    }

    /// <summary>Posts a form as a browser would: with the antiforgery token of the page <paramref name="formPage"/> serves.</summary>
    public static async Task<HttpResponseMessage> PostFormAsync(this HttpClient http, string formPage, string action, Dictionary<string, string> fields)
    {
        var token = AntiforgeryToken().Match(await http.GetStringAsync(formPage)).Groups[1].Value;
        fields["__RequestVerificationToken"] = System.Net.WebUtility.HtmlDecode(token);
        return await http.PostAsync(action, new FormUrlEncodedContent(fields));
    }

    [System.Text.RegularExpressions.GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial System.Text.RegularExpressions.Regex AntiforgeryToken();
}
