namespace ModerationConsole.Dashboard;

public static class DashboardRegistration
{
    public static WebApplicationBuilder AddDashboard(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DashboardReader>();
        return builder;
    }
}
