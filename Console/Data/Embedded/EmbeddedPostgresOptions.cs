namespace ModerationConsole.Data;

/// <summary>How <see cref="EmbeddedPostgres.StartAsync"/> finds, creates and starts a local PostgreSQL cluster.</summary>
public sealed record EmbeddedPostgresOptions
{
    /// <summary>
    /// Absolute path of the folder that holds everything: the cluster in <c>pgdata/</c>, <c>postgres.log</c> and
    /// (when the path is short enough) the unix socket. Created when missing.
    /// </summary>
    public required string DataDirectory { get; init; }

    /// <summary>TCP port on 127.0.0.1; 0 picks a free one. A server already running on the directory keeps its own port.</summary>
    public int Port { get; init; }

    /// <summary>Folder holding initdb, pg_ctl and postgres; found automatically when null or empty.</summary>
    public string? BinDirectory { get; init; }

    /// <summary>Database created when it does not exist yet; <see cref="EmbeddedPostgres.ConnectionString"/> points at it.</summary>
    public string Database { get; init; } = "moderation";

    /// <summary>
    /// Whether <see cref="EmbeddedPostgres.DisposeAsync"/> stops the server it started (fast shutdown); a server that was
    /// already running is never stopped by dispose. When false it keeps running for the next start to reuse.
    /// </summary>
    public bool StopOnDispose { get; init; } = true;

    /// <summary>PostgreSQL's max_connections: each console instance holds a pool plus its job workers' listening connections.</summary>
    public int MaxConnections { get; init; } = 300;
}
