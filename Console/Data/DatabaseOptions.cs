namespace ModerationConsole.Data;

/// <summary>
/// Where the database is. With no connection string <c>ConnectionStrings:Moderation</c>, the console runs its own
/// PostgreSQL cluster under <see cref="EmbeddedDataDirectory"/> (the embedded default).
/// </summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary>Relative paths are resolved against the repository root (the folder holding appsettings.json).</summary>
    public string EmbeddedDataDirectory { get; set; } = ".data/postgres";

    /// <summary>TCP port of the embedded cluster on 127.0.0.1.</summary>
    public int EmbeddedPort { get; set; } = 55432;

    /// <summary>Optional folder holding initdb and pg_ctl; found automatically when empty.</summary>
    public string? EmbeddedBinDirectory { get; set; }
}
