using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;
using ModerationConsole.Data;

namespace ModerationConsole.Hosting;

/// <summary>
/// Keeps the data-protection key ring in PostgreSQL (db/0019). On local disk each instance would make its own keys,
/// so a cookie issued by one would be refused by the next behind the load balancer, and every restart of a container
/// would sign everyone out. Anyone who can read the database can read these keys, as they can read everything the
/// cookies protect.
/// </summary>
public sealed class PostgresKeyRepository(Db db) : IXmlRepository
{
    // The framework calls these synchronously, rarely (at start and when a key is made), off any request's hot path.
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = db.DataSource.OpenConnection();
        return connection.Query<string>("select xml from data_protection_keys order by id").Select(XElement.Parse).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var connection = db.DataSource.OpenConnection();
        connection.Execute(
            "insert into data_protection_keys (friendly_name, xml) values (@friendlyName, @xml) on conflict (friendly_name) do nothing",
            new { friendlyName, xml = element.ToString(SaveOptions.DisableFormatting) });
    }
}

public static class DataProtectionRegistration
{
    /// <summary>One key ring for every instance on the database; one application name, so they accept each other's cookies.</summary>
    public static WebApplicationBuilder AddSharedKeyRing(this WebApplicationBuilder builder)
    {
        builder.Services.AddDataProtection().SetApplicationName("ModerationConsole");
        builder.Services.AddSingleton<PostgresKeyRepository>();
        builder.Services.AddOptions<KeyManagementOptions>()
            .Configure<PostgresKeyRepository>((options, keys) => options.XmlRepository = keys);
        return builder;
    }
}
