using System.Globalization;
using System.Net;
using Npgsql;

namespace ModerationConsole.Data;

/// <summary>
/// A local PostgreSQL cluster run from the machine's own PostgreSQL binaries: created with initdb on first use, started
/// with pg_ctl, reused when a server is already running on the same data directory. This file is its face (options in,
/// connection strings out, start and stop); the other EmbeddedPostgres.*.cs files beside it hold one step each.
/// </summary>
/// <remarks>
/// The cluster uses <c>trust</c> authentication. That is acceptable only because the server listens on 127.0.0.1 and on a
/// unix socket inside the data directory (or a private 0700 folder under /tmp), never on an outside interface: anyone who
/// can reach it is already a local user of this machine.
/// When the current process is root, initdb and pg_ctl (which refuse to run as root) are run as the <c>postgres</c> system
/// user through <c>runuser</c>, and the data directory is handed to that user.
/// </remarks>
public sealed partial class EmbeddedPostgres : IAsyncDisposable
{
    /// <summary>Database superuser created by initdb.</summary>
    public const string Superuser = "postgres";

    /// <summary>Operating-system account that runs the server when this process is root.</summary>
    const string ServiceUser = "postgres";

    const string InstallHint =
        "Install the PostgreSQL server (Debian/Ubuntu: `apt-get install -y postgresql`), or point BinDirectory " +
        "(Database:EmbeddedBinDirectory) at a folder holding initdb, pg_ctl and postgres, or configure " +
        "ConnectionStrings:Moderation to use an existing server.";

    static readonly string[] RequiredTools = ["initdb", "pg_ctl", "postgres"];

    /// <summary>sun_path is 108 bytes on Linux, one of them the terminating NUL.</summary>
    const int MaxSocketPathBytes = 107;

    static readonly TimeSpan ShortCommandTimeout = TimeSpan.FromSeconds(30);
    static readonly TimeSpan InitDbTimeout = TimeSpan.FromMinutes(3);
    const int PgCtlWaitSeconds = 60;
    static readonly TimeSpan PgCtlTimeout = TimeSpan.FromSeconds(PgCtlWaitSeconds + 30);
    static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(60);
    static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(3);

    readonly ILogger? _logger;
    readonly bool _stopOnDispose;
    readonly bool _runAsServiceUser;
    bool _disposed;

    EmbeddedPostgres(
        string dataDirectory, string binDirectory, int port, string database, bool stopOnDispose, bool runAsServiceUser,
        bool reusedRunningServer, string socketDirectory, ILogger? logger)
    {
        DataDirectory = dataDirectory;
        BinDirectory = binDirectory;
        Port = port;
        Database = database;
        _stopOnDispose = stopOnDispose;
        _runAsServiceUser = runAsServiceUser;
        ReusedRunningServer = reusedRunningServer;
        SocketDirectory = socketDirectory;
        _logger = logger;
        ConnectionString = ConnectionStringFor(database);
    }

    /// <summary>The folder given in the options (normalised): holds pgdata/, postgres.log and usually the socket.</summary>
    public string DataDirectory { get; }

    /// <summary>The cluster itself (DataDirectory/pgdata).</summary>
    public string ClusterDirectory => Path.Combine(DataDirectory, "pgdata");

    /// <summary>The server log (DataDirectory/postgres.log).</summary>
    public string LogFile => Path.Combine(DataDirectory, "postgres.log");

    /// <summary>Where the server's unix socket lives: DataDirectory, or a short folder under /tmp when that path is too long.</summary>
    public string SocketDirectory { get; }

    /// <summary>Folder of the PostgreSQL binaries in use.</summary>
    public string BinDirectory { get; }

    /// <summary>TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The database created at start (when missing).</summary>
    public string Database { get; }

    /// <summary>True when a server was already running on the data directory and was reused rather than started.</summary>
    public bool ReusedRunningServer { get; }

    /// <summary>Connection string for <see cref="Database"/> as the superuser over TCP on 127.0.0.1.</summary>
    public string ConnectionString { get; }

    /// <summary>Connection string for <see cref="Database"/> as the console's own login (<see cref="ApplicationRole"/>).</summary>
    public string ApplicationConnectionString => ApplicationConnectionStringFor(Database);

    /// <summary>Connection string as the superuser (who owns the schema and runs migrations) for a database of the cluster.</summary>
    public string ConnectionStringFor(string database) => ConnectionStringFor(database, Superuser);

    /// <summary>Connection string as the console's login, which may not rewrite the audit log, for a database of the cluster.</summary>
    public string ApplicationConnectionStringFor(string database) => ConnectionStringFor(database, ApplicationRole.EmbeddedLogin);

    string ConnectionStringFor(string database, string username)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        return new NpgsqlConnectionStringBuilder
        {
            Host = IPAddress.Loopback.ToString(),
            Port = Port,
            Username = username,
            Database = database,
        }.ConnectionString;
    }

    /// <summary>
    /// Finds the binaries, creates the cluster when DataDirectory/pgdata holds none, starts the server (or reuses the one
    /// already running there), waits until it accepts connections and creates the database when missing.
    /// </summary>
    public static async Task<EmbeddedPostgres> StartAsync(EmbeddedPostgresOptions options, ILogger? logger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("The embedded PostgreSQL cluster runs on Linux only; configure ConnectionStrings:Moderation instead.");
        var dataDirectory = ValidateDataDirectory(options.DataDirectory);
        var database = ValidateDatabaseName(options.Database);
        if (options.Port is < 0 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(options), options.Port, "Port must be 0 (pick a free one) or a TCP port number.");

        var binDirectory = await FindBinDirectoryAsync(options.BinDirectory, ct);
        var runAsServiceUser = IsRoot();
        if (runAsServiceUser)
            await EnsureServiceUserAsync(logger, ct);

        Directory.CreateDirectory(dataDirectory);
        await using var fileLock = await AcquireLockAsync(dataDirectory, ct);

        if (runAsServiceUser)
        {
            // The server writes its log, socket and lock files here, so the whole tree belongs to the service user.
            await RunCheckedAsync(FindTool("chown"), ["-R", ServiceUser + ":", dataDirectory], ShortCommandTimeout, null, ct);
            await EnsureServiceUserCanReachAsync(dataDirectory, ct);
        }

        var socketDirectory = PrepareSocketDirectory(dataDirectory);
        if (runAsServiceUser && socketDirectory != dataDirectory)
            await RunCheckedAsync(FindTool("chown"), [ServiceUser + ":", socketDirectory], ShortCommandTimeout, null, ct);

        var context = new ServerContext(dataDirectory, binDirectory, socketDirectory, runAsServiceUser, logger, options.MaxConnections);
        if (!File.Exists(Path.Combine(context.ClusterDirectory, "PG_VERSION")))
            await InitDbAsync(context, ct);

        var port = await TryGetRunningPortAsync(context, ct);
        var reused = port is not null;
        if (port is { } runningPort)
        {
            if (options.Port != 0 && options.Port != runningPort)
                logger?.LogWarning("PostgreSQL is already running on {DataDirectory} with port {RunningPort}; reusing it instead of port {Port}.",
                    dataDirectory, runningPort, options.Port);
            else
                logger?.LogInformation("Reusing the PostgreSQL server already running on {DataDirectory} (port {Port}).", dataDirectory, runningPort);
        }
        else
        {
            port = await StartServerAsync(context, options.Port, socketDirectory, ct);
        }

        var server = new EmbeddedPostgres(dataDirectory, binDirectory, port.Value, database, options.StopOnDispose, runAsServiceUser,
            reused, socketDirectory, logger);
        await server.WaitForConnectionAsync(ct);
        await server.EnsureDatabaseAsync(ct);
        await server.EnsureApplicationLoginAsync(ct);
        return server;
    }

    /// <summary>Stops the server (pg_ctl stop -m fast: sessions are disconnected, committed data is safe). Does nothing when it is not running.</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        await using var fileLock = await AcquireLockAsync(DataDirectory, ct);
        var context = new ServerContext(DataDirectory, BinDirectory, SocketDirectory, _runAsServiceUser, _logger);
        if (await TryGetRunningPortAsync(context, ct) is null)
            return;
        _logger?.LogInformation("Stopping PostgreSQL on {DataDirectory}.", DataDirectory);
        await context.RunPgCheckedAsync("pg_ctl",
            ["stop", "-D", context.ClusterDirectory, "-m", "fast", "-w", "-t", PgCtlWaitSeconds.ToString(CultureInfo.InvariantCulture)],
            PgCtlTimeout, ct);
    }

    /// <summary>
    /// Stops the server when the options asked for it (<see cref="EmbeddedPostgresOptions.StopOnDispose"/>) and this
    /// handle started it: a server that was already running belongs to the process that started it (a <c>user add</c>
    /// run beside <c>serve</c> must not take the database away from it).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (_stopOnDispose && !ReusedRunningServer)
            await StopAsync(CancellationToken.None);
    }
}
