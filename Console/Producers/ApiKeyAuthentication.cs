using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ModerationConsole.Producers;

/// <summary>
/// Authenticates producers by API key: the X-Api-Key header, or the access_token query parameter where a client
/// (a browser WebSocket, say) cannot set headers. The resulting principal carries the producer id, the Producer role
/// and the SHA-256 of the key it was opened with (so that a long-lived hub connection notices when that key is revoked
/// or replaced, see Ingest/ProducerConnections).
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ProducerStore producers)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string ProducerIdClaim = "producer_id";
    public const string KeyHashClaim = "producer_key_sha256";
    private const string DatabaseUnavailable = "ApiKey.DatabaseUnavailable";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? key = Request.Headers[ApiKeys.HeaderName];
        if (string.IsNullOrEmpty(key)) key = Request.Query[ApiKeys.QueryName];
        if (string.IsNullOrEmpty(key)) return AuthenticateResult.NoResult();
        if (key.Length > 200 || !key.StartsWith(ApiKeys.Prefix, StringComparison.Ordinal))
            return AuthenticateResult.Fail("The API key is malformed.");

        var keyHash = ApiKeys.Hash(key);
        Producer? producer;
        try
        {
            producer = await producers.AuthenticateAsync(keyHash, Context.RequestAborted);
        }
        catch (Exception ex) when (Data.Db.IsTransient(ex))
        {
            // The key cannot be checked while PostgreSQL is away: the producer is told to come back (503), not that it failed.
            Context.Items[DatabaseUnavailable] = true;
            return AuthenticateResult.Fail("The database is unavailable; the API key could not be checked.");
        }
        if (producer is null) return AuthenticateResult.Fail("The API key is unknown or revoked.");

        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, producer.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new Claim(ProducerIdClaim, producer.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new Claim(ClaimTypes.Name, producer.Name),
                new Claim(ClaimTypes.Role, Accounts.Roles.Producer),
                new Claim(KeyHashClaim, Convert.ToBase64String(keyHash)),
            ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items.ContainsKey(DatabaseUnavailable))
        {
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            Response.Headers.RetryAfter = "2";
            return Response.WriteAsJsonAsync(new { error = "The console's database is unavailable for a moment; nothing was done. Try again." });
        }
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        return Response.WriteAsJsonAsync(new { error = "A valid API key is required in the X-Api-Key header." });
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return Response.WriteAsJsonAsync(new { error = "This API key may not call this endpoint." });
    }
}

public static class ProducerPrincipal
{
    public static long ProducerId(this ClaimsPrincipal principal) =>
        long.Parse(principal.FindFirstValue(ApiKeyAuthenticationHandler.ProducerIdClaim)
                   ?? throw new InvalidOperationException("The caller is not an authenticated producer."), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The SHA-256 of the API key the producer authenticated with.</summary>
    public static byte[] ProducerKeyHash(this ClaimsPrincipal principal) =>
        Convert.FromBase64String(principal.FindFirstValue(ApiKeyAuthenticationHandler.KeyHashClaim)
                                 ?? throw new InvalidOperationException("The caller is not an authenticated producer."));
}

public static class ProducerApiAuthorization
{
    /// <summary>The producer API's rule, for each of its routes: a live API key, no cookie, no antiforgery token.</summary>
    public static TBuilder RequireProducerKey<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(policy => policy.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).RequireRole(Accounts.Roles.Producer))
            .DisableAntiforgery();
}
