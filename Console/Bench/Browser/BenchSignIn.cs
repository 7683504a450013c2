using System.Net;
using System.Text.RegularExpressions;

namespace ModerationConsole.Bench;

/// <summary>Signs a person in through the real login form, as a browser would, for benchmarks that open their pages.</summary>
public static partial class BenchSignIn
{
    /// <summary>The session cookie of <paramref name="email"/>.</summary>
    public static async Task<Cookie> CookieAsync(Uri baseAddress, string email, string password, CancellationToken ct)
    {
        var cookies = new CookieContainer();
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = baseAddress };
        var form = await http.GetStringAsync("/login", ct);
        var token = WebUtility.HtmlDecode(AntiforgeryToken().Match(form).Groups[1].Value);
        var response = await http.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email, ["password"] = password, ["__RequestVerificationToken"] = token,
        }), ct);
        return cookies.GetCookies(baseAddress).FirstOrDefault(c => c.Name == "moderation.auth")
               ?? throw new InvalidOperationException($"Signing in as {email} failed: {response.StatusCode}");
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}
