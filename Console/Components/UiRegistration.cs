using ModerationConsole.Accounts;
using MudBlazor.Services;

namespace ModerationConsole.Components;

public static class UiRegistration
{
    public static WebApplicationBuilder AddUserInterface(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddMudServices();
        builder.Services.AddAntiforgery();
        // Static assets of packages (MudBlazor's CSS and JS) come from the build's manifest in every environment.
        builder.WebHost.UseStaticWebAssets();
        return builder;
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
