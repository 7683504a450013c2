using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Accounts;
using ModerationConsole.Ingest;
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

    private static HttpClient ClientFrom(TestConsole at, string forwardedFor, string? forwardedProto = null)
    {
        var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = at.BaseAddress };
        http.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        if (forwardedProto is not null) http.DefaultRequestHeaders.Add("X-Forwarded-Proto", forwardedProto);
        return http;
    }

    private static Task<HttpResponseMessage> SignInAsync(HttpClient http, string email, string password) =>
        http.PostFormAsync("/login", "/account/login", new() { ["email"] = email, ["password"] = password });

    [Fact]
    public async Task Behind_a_named_proxy_the_client_is_who_the_proxy_says_and_otherwise_forwarded_headers_are_ignored()
    {
        await using var proxied = await TestConsole.StartOnAsync(console.ConnectionString, "--ReverseProxy:KnownProxies:0=127.0.0.1");
        var (account, _) = await console.PersonAsync(Roles.Moderator);

        // A proxy on the same host: a forwarded client is not local, so /metrics is closed to it.
        using var outsider = ClientFrom(proxied, "203.0.113.9", "https");
        Assert.Equal(HttpStatusCode.Forbidden, (await outsider.GetAsync("/metrics")).StatusCode);
        using var local = new HttpClient { BaseAddress = proxied.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await local.GetAsync("/metrics")).StatusCode);
        // Reached over HTTPS at the proxy: the session cookie is Secure.
        var signedIn = await SignInAsync(outsider, account.Email, TestData.Password);
        Assert.Contains(signedIn.Headers.GetValues("Set-Cookie"), c => c.Contains("secure", StringComparison.OrdinalIgnoreCase));

        // Without a named proxy the headers are anyone's to send, and change nothing.
        using var spoofing = ClientFrom(console, "203.0.113.9", "https");
        Assert.Equal(HttpStatusCode.OK, (await spoofing.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task Sign_ins_are_throttled_per_client_address_and_per_account_so_one_flood_cannot_lock_out_the_team()
    {
        await using var proxied = await TestConsole.StartOnAsync(console.ConnectionString, "--ReverseProxy:KnownProxies:0=127.0.0.1");
        var (account, _) = await console.PersonAsync(Roles.Moderator);
        var (colleague, _) = await console.PersonAsync(Roles.Moderator);

        // One address floods with guesses at random accounts: it is stopped, a colleague behind another address is not.
        using var flooder = ClientFrom(proxied, "198.51.100.7");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 11; i++) statuses.Add((await SignInAsync(flooder, $"nobody{i}@example.test", "guess")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        using var fromElsewhere = ClientFrom(proxied, "192.0.2.44");
        Assert.Equal("/", (await SignInAsync(fromElsewhere, colleague.Email, TestData.Password)).Headers.Location?.ToString());

        // Guesses at one account from many addresses: after the limit even the right password waits.
        for (var i = 0; i < LoginThrottle.Attempts; i++)
        {
            using var guesser = ClientFrom(proxied, $"203.0.113.{i + 1}");
            Assert.Contains("error=1", (await SignInAsync(guesser, account.Email, "wrong")).Headers.Location?.ToString());
        }
        using var owner = ClientFrom(proxied, "192.0.2.45");
        Assert.Contains("error=throttled", (await SignInAsync(owner, account.Email.ToUpperInvariant(), TestData.Password)).Headers.Location?.ToString());
        Assert.Equal("/", (await SignInAsync(owner, colleague.Email, TestData.Password)).Headers.Location?.ToString());
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

    /// <summary>A generation as its JSON, with <paramref name="field"/> set to the raw UTF-8 <paramref name="value"/>.</summary>
    private static byte[] GenerationWithRaw(string field, byte[] value)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(GenerationBuilder.Queued().Build(),
            new JsonSerializerOptions(JsonSerializerDefaults.Web));
        return [.. json.AsSpan(0, json.Length - 1), .. System.Text.Encoding.UTF8.GetBytes($",\"{field}\":"), .. value, (byte)'}'];
    }

    private static byte[] Nested(int depth) =>
        [.. Enumerable.Repeat((byte)'[', depth), (byte)'1', .. Enumerable.Repeat((byte)']', depth)];

    /// <summary>"é" cut after its first byte: no UTF-8 decoder reads it.</summary>
    private static readonly byte[] InvalidUtf8String = [(byte)'"', (byte)'a', 0xC3, (byte)'(', (byte)'"'];

    public static TheoryData<string, byte[], string> BadValues => new()
    {
        { "metadata", [.. "{\"k\":"u8, .. Nested(200), (byte)'}'], "metadata.k" },
        { "scores", [.. "{\"sexual\":"u8, .. Nested(100_000), (byte)'}'], "scores.sexual" },
        { "prompt", InvalidUtf8String, "prompt" },
        { "metadata", [.. "{\"k\":"u8, .. InvalidUtf8String, (byte)'}'], "metadata.k" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public async Task Deep_nesting_and_invalid_utf8_on_the_hub_get_a_rejection_naming_the_field_and_the_connection_stays(
        string field, byte[] value, string named)
    {
        var apiKey = (await console.ProducerAsync()).ApiKey;
        await using var hub = await RawHubSocket.ConnectAsync(console.BaseAddress, apiKey);

        var receipt = (await hub.InvokeAsync("Submit", GenerationWithRaw(field, value)))!.Deserialize<IngestReceipt>(
            new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

        Assert.Equal(ReceiptStatus.Rejected, receipt.Status);
        var error = Assert.Single(receipt.Errors!, e => e.Field == named);
        Assert.DoesNotContain("ModerationConsole", error.Message);
        Assert.DoesNotContain("System.", error.Message);
        var next = (await hub.InvokeAsync("Submit", GenerationWithRaw("future", Nested(100_000))))!;
        Assert.Equal(ReceiptStatus.Accepted, next["status"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(BadValues))]
    public async Task Deep_nesting_and_invalid_utf8_over_http_are_refused_naming_the_field_never_a_type(
        string field, byte[] value, string named)
    {
        using var http = ProducerClient.Http(console.BaseAddress, (await console.ProducerAsync()).ApiKey);

        var response = await http.PostAsync("/api/v1/generations", new ByteArrayContent(GenerationWithRaw(field, value))
        {
            Headers = { ContentType = new("application/json") },
        });

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.UnprocessableEntity or HttpStatusCode.BadRequest, body);
        Assert.Contains($"\"field\":\"{named}\"", body);
        Assert.DoesNotContain("ModerationConsole", body);
        Assert.DoesNotContain("System.", body);
    }
}
