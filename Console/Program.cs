using ModerationConsole.Accounts;
using ModerationConsole.Appeals;
using ModerationConsole.Audit;
using ModerationConsole.Bank;
using ModerationConsole.Cases;
using ModerationConsole.Checks;
using ModerationConsole.Cli;
using ModerationConsole.Components;
using ModerationConsole.Dashboard;
using ModerationConsole.Data;
using ModerationConsole.Decisions;
using ModerationConsole.Enforcement;
using ModerationConsole.Heads;
using ModerationConsole.Hosting;
using ModerationConsole.Ingest;
using ModerationConsole.Jobs;
using ModerationConsole.Operations;
using ModerationConsole.OptOuts;
using ModerationConsole.Policy;
using ModerationConsole.Producers;
using ModerationConsole.Queue;
using ModerationConsole.Removals;
using ModerationConsole.Retention;
using ModerationConsole.Review;
using ModerationConsole.Scoring;
using ModerationConsole.Wellness;

namespace ModerationConsole;

public static class Program
{
    /// <summary>One executable serves and administers: see <see cref="CommandLine"/> for the commands.</summary>
    public static Task<int> Main(string[] args) => CommandLine.RunAsync(args);

    /// <summary>The console, feature by feature. The builder's connection string is already resolved (see <see cref="ConsoleHost"/>).</summary>
    public static WebApplication BuildWebApp(WebApplicationBuilder builder)
    {
        builder
            .AddDatabase()
            .AddSharedKeyRing()
            .AddReverseProxy()
            .AddAccounts()
            .AddProducers()
            .AddPolicy()
            .AddBank()
            .AddOptOuts()
            .AddJobs()
            .AddIngest()
            .AddDecisions()
            .AddQueue()
            .AddReview()
            .AddEnforcement()
            .AddAppeals()
            .AddCases()
            .AddRetention()
            .AddRemovals()
            .AddChecks()
            .AddWellness()
            .AddAudit()
            .AddOperations()
            .AddDashboard()
            .AddScoring()
            .AddLearnedHeads()
            .AddUserInterface();

        var app = builder.Build();
        app.UseReverseProxy();
        app.UseExceptionHandler("/error", createScopeForErrors: true);
        app.UseSecurityHeaders();
        app.UseNotFoundPage();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseAntiforgery();

        app.MapAccounts();
        app.MapIngest();
        app.MapProducers();
        app.MapOptOuts();
        app.MapReview();
        app.MapEnforcement();
        app.MapAppeals();
        app.MapCases();
        app.MapRemovals();
        app.MapChecks();
        app.MapAudit();
        app.MapJobs();
        app.MapOperations();
        app.MapUserInterface();
        return app;
    }
}
