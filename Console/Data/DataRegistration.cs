using Npgsql;

namespace ModerationConsole.Data;

public static class DataRegistration
{
    public const string ConnectionStringName = "Moderation";

    /// <summary>One pooled data source for the whole console; the connection string must be resolved before this runs.</summary>
    public static WebApplicationBuilder AddDatabase(this WebApplicationBuilder builder)
    {
        DapperSetup.Configure();
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException($"ConnectionStrings:{ConnectionStringName} is not set and no embedded database was started.");
        builder.Services.AddSingleton(_ => new NpgsqlDataSourceBuilder(connectionString) { Name = "moderation" }.Build());
        builder.Services.AddSingleton<Db>();
        // Registered first so the schema is current before any other hosted service or request touches it.
        builder.Services.AddSingleton<Hosting.DatabaseStartup>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Hosting.DatabaseStartup>());
        return builder;
    }
}
