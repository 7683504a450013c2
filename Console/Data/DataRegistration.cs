using Npgsql;

namespace ModerationConsole.Data;

public static class DataRegistration
{
    /// <summary>What the console runs as: a member of <see cref="ApplicationRole.Group"/> (see docs/operations.md, "Database roles").</summary>
    public const string ConnectionStringName = "Moderation";

    /// <summary>The schema owner, for migrations only; when unset, migrations use <see cref="ConnectionStringName"/>.</summary>
    public const string MigrationsConnectionStringName = "Migrations";

    /// <summary>The connection string migrations run on: the owner's when configured, else the console's own.</summary>
    public static string MigrationsConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString(MigrationsConnectionStringName) is { Length: > 0 } owner
            ? owner
            : configuration.GetConnectionString(ConnectionStringName)!;

    /// <summary>One pooled data source for the whole console; the connection string must be resolved before this runs.</summary>
    public static WebApplicationBuilder AddDatabase(this WebApplicationBuilder builder)
    {
        DapperSetup.Configure();
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException($"ConnectionStrings:{ConnectionStringName} is not set and no embedded database was started.");
        builder.Services.AddSingleton(_ => DataSourceFor(connectionString));
        builder.Services.AddSingleton<Db>();
        // Registered first so the schema is current before any other hosted service or request touches it.
        builder.Services.AddSingleton<Hosting.DatabaseStartup>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Hosting.DatabaseStartup>());
        return builder;
    }

    /// <summary>
    /// The console runs the same few dozen statements all day (claim, decide, ingest, audit). Unless the connection
    /// string says otherwise, Npgsql prepares a statement on a connection once it has run twice there, so PostgreSQL
    /// skips parsing and planning it from then on: on the claim-and-decide cycle that is most of the server's work.
    /// </summary>
    public static NpgsqlDataSource DataSourceFor(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString) { Name = "moderation" };
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase)
            && !connectionString.Contains("AutoPrepare", StringComparison.OrdinalIgnoreCase))
            builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
        return builder.Build();
    }
}
