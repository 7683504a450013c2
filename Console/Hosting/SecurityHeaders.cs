namespace ModerationConsole.Hosting;

/// <summary>
/// Headers every response carries, pages, APIs and <c>/hangfire</c> alike: scripts only from the console itself (Blazor
/// Server and MudBlazor need nothing inline or evaluated; styles stay open for MudBlazor's inline ones), no framing,
/// no MIME sniffing, the referrer kept to the console's own pages, and HSTS when served over HTTPS.
/// </summary>
public static class SecurityHeaders
{
    public const string ContentSecurityPolicy = "script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        app.Use((http, next) =>
        {
            http.Response.OnStarting(() =>
            {
                var headers = http.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "same-origin";
                if (http.Request.IsHttps) headers.StrictTransportSecurity = "max-age=31536000";
                return Task.CompletedTask;
            });
            return next(http);
        });
        return app;
    }
}
