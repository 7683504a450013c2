using ModerationConsole.Accounts;
using MudBlazor.Services;

namespace ModerationConsole.Components;

public static class UiRegistration
{
    public static WebApplicationBuilder AddUserInterface(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddMudServices(config =>
        {
            // Bottom left: clear of the review page's scores; a few at most, so that a fast moderator is never told of an old item.
            config.SnackbarConfiguration.PositionClass = MudBlazor.Defaults.Classes.Position.BottomLeft;
            config.SnackbarConfiguration.MaxDisplayedSnackbars = 3;
            config.SnackbarConfiguration.NewestOnTop = true;
        });
        builder.Services.AddAntiforgery();
        // Static assets of packages (MudBlazor's CSS and JS) come from the build's manifest in every environment.
        builder.WebHost.UseStaticWebAssets();
        return builder;
    }

    /// <summary>
    /// A browser that asks for an address nothing answers gets the console's own page, with its 404 status. Other
    /// statuses, other methods, and the APIs, hubs and images keep their bare answers, which clients read by status.
    /// </summary>
    public static WebApplication UseNotFoundPage(this WebApplication app)
    {
        string[] machines = ["/api", "/hubs", "/review/images", "/metrics", "/hangfire", "/healthz", "/audit/export", "/audit/reports"];
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.Use(async (http, next) =>
        {
            await next(http);
            if (http.Response.StatusCode != StatusCodes.Status404NotFound || !HttpMethods.IsGet(http.Request.Method)
                || machines.Any(m => http.Request.Path.StartsWithSegments(m)))
                http.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodePagesFeature>()?.Enabled = false;
        });
        // Routing after the page's middleware, so that the re-executed request finds the not-found page.
        app.UseRouting();
        return app;
    }

    public static WebApplication MapUserInterface(this WebApplication app)
    {
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapGet("/", (HttpContext http) => Results.Redirect(HomeOf(http.User)));
        return app;
    }

    /// <summary>Where a person lands: the queues for those who review, the audit pages for auditors.</summary>
    public static string HomeOf(System.Security.Claims.ClaimsPrincipal user) =>
        user.Satisfies(Policies.Review) ? "/queue"
        : user.Satisfies(Policies.Audit) ? "/audit"
        : user.Identity?.IsAuthenticated == true ? "/denied"
        : "/login";
}
