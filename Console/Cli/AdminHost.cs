using ModerationConsole.Data;
using ModerationConsole.Hosting;

namespace ModerationConsole.Cli;

/// <summary>
/// The console's services without its web server, for the administrative commands: the same configuration, database
/// resolution and migrations as <c>serve</c>. Logs go to standard error so standard output stays scriptable.
/// </summary>
public sealed class AdminHost : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly EmbeddedPostgres? embedded;

    private AdminHost(WebApplication app, EmbeddedPostgres? embedded)
    {
        this.app = app;
        this.embedded = embedded;
    }

    public IServiceProvider Services => app.Services;

    public static async Task<AdminHost> StartAsync(string[] hostArgs, CancellationToken ct = default)
    {
        var builder = ConsoleHost.CreateBuilder(hostArgs);
        ConfigureQuietLogging(builder.Logging);
        using var loggerFactory = LoggerFactory.Create(logging => ConfigureQuietLogging(logging));
        var embedded = await ConsoleHost.ResolveDatabaseAsync(builder, loggerFactory.CreateLogger("ModerationConsole"), ct);
        var app = Program.BuildWebApp(builder);
        await app.Services.GetRequiredService<DatabaseStartup>().RunAsync(ct);
        return new AdminHost(app, embedded);
    }

    private static void ConfigureQuietLogging(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(LogLevel.Warning);
        logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }

    public async ValueTask DisposeAsync()
    {
        await app.DisposeAsync();
        if (embedded is not null) await embedded.DisposeAsync();
    }
}
