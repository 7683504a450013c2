using ModerationConsole.Data;

namespace ModerationConsole.Hosting;

/// <summary>
/// Creates the host builder with the repository's appsettings.json and resolves the database: the configured connection
/// string, or else the embedded PostgreSQL cluster under the repository's data folder, started on demand.
/// </summary>
public static class ConsoleHost
{
    /// <remarks>
    /// Configuration files are read once at start (options are validated then), not watched: watching appsettings.json
    /// watches the whole content root, and with the embedded cluster under the repository every PostgreSQL write woke
    /// the watcher (a few percent of a core during ingest).
    /// </remarks>
    public static WebApplicationBuilder CreateBuilder(string[] args) =>
        WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = [.. args, "--hostBuilder:reloadConfigOnChange=false"],
            ContentRootPath = RepositoryRoot() ?? AppContext.BaseDirectory,
            ApplicationName = typeof(Program).Assembly.GetName().Name,
        });

    /// <summary>
    /// Makes sure <c>ConnectionStrings:Moderation</c> points at a running database. Returns the embedded cluster when one
    /// was used, for the caller to dispose (which stops it only if this process started it); the console then runs as
    /// the cluster's application login and migrates as its superuser (<c>ConnectionStrings:Migrations</c>).
    /// </summary>
    public static async Task<EmbeddedPostgres?> ResolveDatabaseAsync(WebApplicationBuilder builder, ILogger logger, CancellationToken ct = default)
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(DataRegistration.ConnectionStringName)))
            return null;

        var options = builder.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        var dataDirectory = Path.GetFullPath(options.EmbeddedDataDirectory, builder.Environment.ContentRootPath);
        logger.LogInformation("No connection string configured: using the embedded PostgreSQL cluster in {Directory}", dataDirectory);
        var embedded = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions
        {
            DataDirectory = dataDirectory,
            Port = options.EmbeddedPort,
            BinDirectory = options.EmbeddedBinDirectory,
            StopOnDispose = true,
        }, logger, ct);
        builder.Configuration[$"ConnectionStrings:{DataRegistration.ConnectionStringName}"] = embedded.ApplicationConnectionString;
        builder.Configuration[$"ConnectionStrings:{DataRegistration.MigrationsConnectionStringName}"] = embedded.ConnectionString;
        return embedded;
    }

    /// <summary>The folder holding ModerationConsole.sln and appsettings.json, looked for upwards from the working directory and the binary.</summary>
    public static string? RepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "ModerationConsole.sln")) && File.Exists(Path.Combine(dir.FullName, "appsettings.json")))
                    return dir.FullName;
            }
        }
        return null;
    }
}
