using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace ModerationConsole.Data;

/// <summary>
/// A local PostgreSQL cluster run from the machine's own PostgreSQL binaries: created with initdb on first use, started
/// with pg_ctl, reused when a server is already running on the same data directory.
/// </summary>
/// <remarks>
/// The cluster uses <c>trust</c> authentication. That is acceptable only because the server listens on 127.0.0.1 and on a
/// unix socket inside the data directory (or a private 0700 folder under /tmp), never on an outside interface: anyone who
/// can reach it is already a local user of this machine.
/// When the current process is root, initdb and pg_ctl (which refuse to run as root) are run as the <c>postgres</c> system
/// user through <c>runuser</c>, and the data directory is handed to that user.
/// </remarks>
public sealed class EmbeddedPostgres : IAsyncDisposable
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

    // ---- Start-up steps -------------------------------------------------------------------------------------------

    static string ValidateDataDirectory(string? dataDirectory)
    {
        if (string.IsNullOrWhiteSpace(dataDirectory) || !Path.IsPathFullyQualified(dataDirectory))
            throw new ArgumentException($"DataDirectory must be an absolute path (got '{dataDirectory}').", nameof(dataDirectory));
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataDirectory));
        // pg_ctl hands -D and -l to /bin/sh inside double quotes, so these characters would break (or inject into) its command line.
        if (full.IndexOfAny(['"', '$', '`', '\\', '\n', '\r', '\0']) >= 0)
            throw new ArgumentException($"DataDirectory must not contain \", $, `, \\ or line breaks (got '{full}').", nameof(dataDirectory));
        return full;
    }

    static string ValidateDatabaseName(string? database)
    {
        if (string.IsNullOrWhiteSpace(database))
            throw new ArgumentException("Database must be a non-empty name.", nameof(database));
        if (Encoding.UTF8.GetByteCount(database) > 63)
            throw new ArgumentException($"Database name '{database}' is longer than PostgreSQL's 63-byte limit.", nameof(database));
        return database;
    }

    /// <summary>
    /// BinDirectory when given; else <c>pg_config --bindir</c> if it holds initdb; else the highest version under
    /// /usr/lib/postgresql/*/bin; else initdb on PATH.
    /// </summary>
    static async Task<string> FindBinDirectoryAsync(string? configured, CancellationToken ct)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var missing = RequiredTools.Where(tool => !File.Exists(Path.Combine(configured, tool))).ToList();
            if (missing.Count == 0)
                return Path.GetFullPath(configured);
            throw new InvalidOperationException(
                $"The configured PostgreSQL BinDirectory '{configured}' " +
                (Directory.Exists(configured) ? $"does not contain {string.Join(", ", missing)}." : "does not exist.") +
                " " + InstallHint);
        }

        var looked = new List<string>();

        var pgConfig = FindOnPath("pg_config");
        if (pgConfig is not null)
        {
            try
            {
                var result = await RunAsync(pgConfig, ["--bindir"], ShortCommandTimeout, null, ct);
                var bindir = result.StdOut.Trim();
                if (result.ExitCode == 0 && bindir.Length > 0)
                {
                    if (HasServerTools(bindir))
                        return bindir;
                    looked.Add($"{bindir} (from pg_config --bindir)");
                }
            }
            catch (InvalidOperationException)
            {
                // A broken pg_config is not fatal: try the other places.
            }
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var versions = Directory.EnumerateDirectories(debianRoot)
                .Select(dir => (Dir: Path.Combine(dir, "bin"), Version: ParseVersion(Path.GetFileName(dir))))
                .Where(candidate => candidate.Version is not null)
                .OrderByDescending(candidate => candidate.Version)
                .ToList();
            foreach (var candidate in versions)
            {
                if (HasServerTools(candidate.Dir))
                    return candidate.Dir;
                looked.Add(candidate.Dir);
            }
            if (versions.Count == 0)
                looked.Add($"{debianRoot}/*/bin");
        }
        else
        {
            looked.Add($"{debianRoot}/*/bin");
        }

        var initdb = FindOnPath("initdb");
        if (initdb is not null)
        {
            foreach (var dir in new[] { Path.GetDirectoryName(initdb), Path.GetDirectoryName(ResolveLink(initdb)) })
            {
                if (dir is not null && HasServerTools(dir))
                    return dir;
            }
            looked.Add($"{initdb} (on PATH, without pg_ctl/postgres beside it)");
        }
        else
        {
            looked.Add("initdb on PATH");
        }

        throw new InvalidOperationException(
            $"No PostgreSQL server binaries (initdb, pg_ctl, postgres) were found. Looked in: {string.Join("; ", looked)}. {InstallHint}");
    }

    static bool HasServerTools(string dir) => RequiredTools.All(tool => File.Exists(Path.Combine(dir, tool)));

    static Version? ParseVersion(string? name)
    {
        if (name is null)
            return null;
        if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var major))
            return new Version(major, 0);
        return Version.TryParse(name, out var version) ? version : null;
    }

    static string ResolveLink(string path)
    {
        try
        {
            return new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
        }
        catch (IOException)
        {
            return path;
        }
    }

    static bool IsRoot()
    {
        if (Environment.UserName == "root")
            return true;
        try
        {
            // "Uid:\treal\teffective\tsaved\tfilesystem"
            var uidLine = File.ReadLines("/proc/self/status").FirstOrDefault(line => line.StartsWith("Uid:", StringComparison.Ordinal));
            var fields = uidLine?.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return fields is { Length: >= 3 } && fields[2] == "0";
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    static async Task EnsureServiceUserAsync(ILogger? logger, CancellationToken ct)
    {
        var getent = FindTool("getent");
        if ((await RunAsync(getent, ["passwd", ServiceUser], ShortCommandTimeout, null, ct)).ExitCode == 0)
            return;
        logger?.LogInformation("Creating the system user {User} to run PostgreSQL (initdb and postgres refuse to run as root).", ServiceUser);
        var groupExists = (await RunAsync(getent, ["group", ServiceUser], ShortCommandTimeout, null, ct)).ExitCode == 0;
        await RunCheckedAsync(FindTool("useradd"),
            ["--system", "--no-create-home", .. groupExists ? new[] { "--gid", ServiceUser } : ["--user-group"], ServiceUser],
            ShortCommandTimeout, null, ct);
    }

    /// <summary>The service user must be able to traverse every parent of the data directory and write to it.</summary>
    static async Task EnsureServiceUserCanReachAsync(string dataDirectory, CancellationToken ct)
    {
        var check = await RunAsync(FindTool("runuser"),
            ["-u", ServiceUser, "--", FindTool("test"), "-x", dataDirectory, "-a", "-w", dataDirectory], ShortCommandTimeout, "/", ct);
        if (check.ExitCode == 0)
            return;

        var blocker = (string?)null;
        for (var dir = Path.GetDirectoryName(dataDirectory); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var traversable = await RunAsync(FindTool("runuser"), ["-u", ServiceUser, "--", FindTool("test"), "-x", dir],
                ShortCommandTimeout, "/", ct);
            if (traversable.ExitCode != 0)
                blocker = dir; // keep going up: report the outermost folder that blocks
        }
        var why = blocker is null
            ? $"it cannot write to {dataDirectory}"
            : OperatingSystem.IsWindows()
                ? $"it cannot traverse {blocker}"
                : $"it cannot traverse {blocker} (mode {Convert.ToString((int)File.GetUnixFileMode(blocker), 8)})";
        throw new InvalidOperationException(
            $"PostgreSQL runs as the '{ServiceUser}' user (this process is root), but {why}. Give the parent folders " +
            $"execute permission for other users (e.g. `chmod o+x {blocker ?? dataDirectory}`), or choose a DataDirectory " +
            "under a world-traversable folder such as /tmp or /var/lib.");
    }

    /// <summary>
    /// The socket goes in the data directory when its full path fits in sun_path and needs no quoting (it travels through
    /// pg_ctl's shell command line and PostgreSQL's list syntax); otherwise in /tmp/mc-pg-&lt;hash of the data directory&gt;,
    /// which is stable, so restarts use the same place.
    /// </summary>
    static string PrepareSocketDirectory(string dataDirectory)
    {
        var longest = Encoding.UTF8.GetByteCount(dataDirectory + "/.s.PGSQL.65535");
        if (longest <= MaxSocketPathBytes && dataDirectory.All(IsPlainPathChar))
            return dataDirectory;

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(dataDirectory)))[..16];
        var socketDirectory = Path.Combine(Path.GetTempPath(), "mc-pg-" + hash);
        if (Encoding.UTF8.GetByteCount(socketDirectory + "/.s.PGSQL.65535") > MaxSocketPathBytes || !socketDirectory.All(IsPlainPathChar))
            socketDirectory = "/tmp/mc-pg-" + hash;

        var info = new DirectoryInfo(socketDirectory);
        if (info.Exists && info.LinkTarget is not null)
            throw new InvalidOperationException($"The socket folder {socketDirectory} is a symbolic link; remove it and start again.");
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(socketDirectory);
        else
            Directory.CreateDirectory(socketDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return socketDirectory;
    }

    static bool IsPlainPathChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-';

    static async Task InitDbAsync(ServerContext context, CancellationToken ct)
    {
        var cluster = context.ClusterDirectory;
        if (Directory.Exists(cluster) && Directory.EnumerateFileSystemEntries(cluster).Any())
            throw new InvalidOperationException(
                $"{cluster} is not empty but holds no PostgreSQL cluster (no PG_VERSION), perhaps from an interrupted initdb. " +
                "Move it away or delete it, then start again.");

        context.Logger?.LogInformation("Creating a PostgreSQL cluster in {Cluster} with {BinDirectory}/initdb.", cluster, context.BinDirectory);
        // Trust authentication: see the class remarks (loopback TCP and a private unix socket only).
        string[] InitDbArgs(string locale) =>
            ["-D", cluster, "-U", Superuser, "--auth=trust", "--encoding=UTF8", "--locale=" + locale];

        var utf8 = await context.RunPgAsync("initdb", InitDbArgs("C.UTF-8"), InitDbTimeout, ct);
        if (utf8.ExitCode == 0)
            return;

        context.Logger?.LogWarning("initdb with --locale=C.UTF-8 failed; retrying with --locale=C. Output: {Output}", utf8.Output);
        if (Directory.Exists(cluster) && Directory.EnumerateFileSystemEntries(cluster).Any())
            throw utf8.Failure();
        var plain = await context.RunPgAsync("initdb", InitDbArgs("C"), InitDbTimeout, ct);
        if (plain.ExitCode != 0)
            throw new InvalidOperationException(
                $"initdb failed with --locale=C.UTF-8 and with --locale=C.{Environment.NewLine}{utf8.Describe()}{Environment.NewLine}{plain.Describe()}");
    }

    /// <summary>The port of the server running on the cluster, or null when none is (pg_ctl status decides; the port is line 4 of postmaster.pid).</summary>
    static async Task<int?> TryGetRunningPortAsync(ServerContext context, CancellationToken ct)
    {
        var pidFile = Path.Combine(context.ClusterDirectory, "postmaster.pid");
        if (!File.Exists(pidFile))
            return null;
        ClearLocksOfZombiePostmaster(context);
        if (!File.Exists(pidFile))
            return null;
        var status = await context.RunPgAsync("pg_ctl", ["status", "-D", context.ClusterDirectory], ShortCommandTimeout, ct);
        if (status.ExitCode != 0)
            return null; // 3: not running (a stale postmaster.pid is left for pg_ctl start to deal with)

        string[] lines;
        try
        {
            using var stream = new FileStream(pidFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            lines = (await reader.ReadToEndAsync(ct)).Split('\n');
        }
        catch (FileNotFoundException)
        {
            return null; // stopped between the two checks
        }
        if (lines.Length >= 4 && int.TryParse(lines[3].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port > 0)
            return port;
        throw new InvalidOperationException($"PostgreSQL is running on {context.ClusterDirectory}, but {pidFile} holds no port on line 4.");
    }

    /// <summary>
    /// A postmaster that died (crash, kill -9) but was not yet reaped is a zombie: kill(pid, 0) still succeeds, so pg_ctl
    /// status calls it running and a new postmaster refuses its lock files. Some init processes reap orphans lazily (seen
    /// in sandboxed VMs: well over a minute), so when the postmaster is a zombie and no process is attached to its shared
    /// memory any more (the check PostgreSQL itself makes), its lock files are removed here.
    /// </summary>
    static void ClearLocksOfZombiePostmaster(ServerContext context)
    {
        var pidFile = Path.Combine(context.ClusterDirectory, "postmaster.pid");
        string[] lines;
        try
        {
            lines = File.ReadAllLines(pidFile);
        }
        catch (IOException)
        {
            return;
        }
        if (lines.Length == 0 || !int.TryParse(lines[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || !IsZombie(pid))
            return;

        // Line 7: "shmkey shmid" of the interlock segment; backends of the dead postmaster may still be attached to it.
        var shmFields = lines.Length >= 7 ? lines[6].Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        if (shmFields.Length == 2 && SharedMemoryAttachments(shmFields[1]) is > 0 and var attached)
            throw new InvalidOperationException(
                $"The PostgreSQL server on {context.ClusterDirectory} died (PID {pid} is a zombie), but {attached} of its processes are " +
                "still attached to its shared memory. Wait for them to exit (or end them), then start again.");

        context.Logger?.LogWarning("The PostgreSQL postmaster (PID {Pid}) on {Cluster} died and is an unreaped zombie; removing its lock files.",
            pid, context.ClusterDirectory);
        File.Delete(pidFile);
        foreach (var socketLock in Directory.EnumerateFiles(context.SocketDirectory, ".s.PGSQL.*.lock"))
        {
            try
            {
                if (File.ReadLines(socketLock).FirstOrDefault()?.Trim() == lines[0].Trim())
                    File.Delete(socketLock);
            }
            catch (IOException)
            {
                // Gone already, or not ours to read: PostgreSQL reports it if it matters.
            }
        }
    }

    static bool IsZombie(int pid)
    {
        try
        {
            // "pid (comm) state ..."; comm may hold spaces and parentheses, so look after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            var afterComm = stat.LastIndexOf(')') + 2;
            return afterComm < stat.Length && stat[afterComm] is 'Z' or 'X';
        }
        catch (IOException)
        {
            return false; // no such process: pg_ctl and postgres handle a stale postmaster.pid themselves
        }
    }

    /// <summary>nattch of a System V shared memory segment from /proc/sysvipc/shm, or null when it no longer exists.</summary>
    static int? SharedMemoryAttachments(string shmid)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/sysvipc/shm").Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 7 && fields[1] == shmid)
                    return int.TryParse(fields[6], NumberStyles.None, CultureInfo.InvariantCulture, out var nattch) ? nattch : null;
            }
        }
        catch (IOException)
        {
        }
        return null;
    }

    static async Task<int> StartServerAsync(ServerContext context, int requestedPort, string socketDirectory, CancellationToken ct)
    {
        // Only a port we picked ourselves can be lost to a race; then pick another.
        var attempts = requestedPort == 0 ? 3 : 1;
        for (var attempt = 1; ; attempt++)
        {
            var port = requestedPort == 0 ? FreeTcpPort() : requestedPort;
            // Settings go on the command line rather than into postgresql.conf. pg_ctl passes this string through /bin/sh,
            // so every value here is free of spaces and quotes (the socket folder is checked by PrepareSocketDirectory).
            var serverOptions = string.Join(' ',
                "-c listen_addresses=127.0.0.1",
                "-c port=" + port.ToString(CultureInfo.InvariantCulture),
                "-c unix_socket_directories=" + socketDirectory,
                "-c fsync=on", // durability is a product promise: never turn this off for speed
                "-c max_connections=" + context.MaxConnections.ToString(CultureInfo.InvariantCulture),
                "-c shared_buffers=128MB");
            context.Logger?.LogInformation("Starting PostgreSQL on {Cluster}, port {Port}.", context.ClusterDirectory, port);
            var logLength = File.Exists(context.LogFile) ? new FileInfo(context.LogFile).Length : 0;
            var start = await context.RunPgAsync("pg_ctl",
                ["start", "-D", context.ClusterDirectory, "-w", "-t", PgCtlWaitSeconds.ToString(CultureInfo.InvariantCulture),
                 "-l", context.LogFile, "-o", serverOptions],
                PgCtlTimeout, ct, ServerMemoryEnvironment);
            if (start.ExitCode == 0)
                return port;

            var newLog = ReadLogSince(context.LogFile, logLength);
            if (attempt < attempts && newLog.Contains("could not bind", StringComparison.OrdinalIgnoreCase))
            {
                context.Logger?.LogWarning("Port {Port} was taken before PostgreSQL could bind it; trying another.", port);
                continue;
            }
            throw new InvalidOperationException(
                $"PostgreSQL did not start on {context.ClusterDirectory} (port {port}).{Environment.NewLine}{start.Describe()}" +
                $"{Environment.NewLine}Last lines of {context.LogFile}:{Environment.NewLine}{LogTail(context.LogFile, 20)}");
        }
    }

    /// <summary>
    /// glibc's allocator settings for the server (its processes inherit pg_ctl's environment). An ingest call is one
    /// message of up to tens of megabytes (a hundred images); a backend receives it into one buffer and builds the image
    /// array in another. By default glibc gives allocations that large their own mapping and unmaps them when freed, or
    /// trims them off the heap, so every call faults its pages in again, each zeroed by the kernel: measured, page
    /// faults were a tenth of the machine's time during bench ingest, and these settings took out two thirds of the
    /// server's. Allocations up to 32 MiB (glibc's ceiling for this setting) now come from the heap, and up to 64 MiB of
    /// free heap stays with a backend between calls. A server the console does not start needs the same two variables in
    /// its own environment (README, "PostgreSQL server settings").
    /// </summary>
    static readonly IReadOnlyDictionary<string, string> ServerMemoryEnvironment = new Dictionary<string, string>
    {
        ["MALLOC_MMAP_THRESHOLD_"] = (32 << 20).ToString(CultureInfo.InvariantCulture),
        ["MALLOC_TRIM_THRESHOLD_"] = (64 << 20).ToString(CultureInfo.InvariantCulture),
    };

    static int FreeTcpPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    async Task WaitForConnectionAsync(CancellationToken ct)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(ConnectionStringFor("postgres")) { Pooling = false, Timeout = 5 }.ConnectionString;
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(ct);
                await using var command = new NpgsqlCommand("select 1", connection);
                await command.ExecuteScalarAsync(ct);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException or IOException or TimeoutException && !ct.IsCancellationRequested)
            {
                if (deadline.Elapsed > ConnectTimeout)
                    throw new InvalidOperationException(
                        $"PostgreSQL on {ClusterDirectory} {(ReusedRunningServer ? "is running" : "started")} but accepted no connection on " +
                        $"127.0.0.1:{Port} within {ConnectTimeout.TotalSeconds:0} s: {ex.Message}{Environment.NewLine}" +
                        $"Last lines of {LogFile}:{Environment.NewLine}{LogTail(LogFile, 20)}", ex);
                await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
            }
        }
    }

    /// <summary>An unpooled superuser connection to the maintenance database, for start-up work on the cluster itself.</summary>
    async Task<NpgsqlConnection> OpenMaintenanceConnectionAsync(CancellationToken ct)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionStringFor("postgres")) { Pooling = false }.ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    async Task EnsureDatabaseAsync(CancellationToken ct)
    {
        await using var connection = await OpenMaintenanceConnectionAsync(ct);
        await using (var exists = new NpgsqlCommand("select 1 from pg_database where datname = @name", connection))
        {
            exists.Parameters.AddWithValue("name", Database);
            if (await exists.ExecuteScalarAsync(ct) is not null)
                return;
        }
        _logger?.LogInformation("Creating database {Database}.", Database);
        try
        {
            await using var create = new NpgsqlCommand($"create database \"{Database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
            await create.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Created meanwhile by another starter: fine.
        }
    }

    /// <summary>
    /// Creates the console's login (and its group, which db/0007 grants to) when missing. Roles belong to the cluster,
    /// not to a database, so this runs before any database is migrated.
    /// </summary>
    async Task EnsureApplicationLoginAsync(CancellationToken ct)
    {
        await using var connection = await OpenMaintenanceConnectionAsync(ct);
        await using var create = new NpgsqlCommand($"""
            do $$
            begin
                if not exists (select from pg_roles where rolname = '{ApplicationRole.Group}') then
                    create role {ApplicationRole.Group} nologin;
                end if;
                if not exists (select from pg_roles where rolname = '{ApplicationRole.EmbeddedLogin}') then
                    create role {ApplicationRole.EmbeddedLogin} login in role {ApplicationRole.Group};
                end if;
            end $$
            """, connection);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await create.ExecuteNonQueryAsync(ct);
                return;
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateObject or PostgresErrorCodes.UniqueViolation && attempt < 3)
            {
                // Another starter created one of the roles meanwhile: look again, the other may still be missing.
            }
        }
    }

    // ---- Files -------------------------------------------------------------------------------------------------------

    /// <summary>Serialises starts and stops on one data directory, across processes too (flock through FileShare.None).</summary>
    static async Task<FileStream> AcquireLockAsync(string dataDirectory, CancellationToken ct)
    {
        var path = Path.Combine(dataDirectory, ".embedded-postgres.lock");
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < LockTimeout)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
            }
            catch (IOException ex)
            {
                throw new InvalidOperationException($"Another process kept {path} locked for {LockTimeout.TotalMinutes:0} minutes.", ex);
            }
        }
    }

    static string ReadLogSince(string logFile, long offset)
    {
        try
        {
            using var stream = new FileStream(logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (offset > stream.Length)
                offset = 0;
            stream.Seek(offset, SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (IOException)
        {
            return "";
        }
    }

    static string LogTail(string logFile, int lines)
    {
        try
        {
            using var stream = new FileStream(logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.Seek(Math.Max(0, stream.Length - 64 * 1024), SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n').Select(line => line.TrimEnd('\r')).ToList();
            while (all.Count > 0 && all[^1].Length == 0)
                all.RemoveAt(all.Count - 1);
            return all.Count == 0 ? "(empty)" : string.Join(Environment.NewLine, all.TakeLast(lines));
        }
        catch (FileNotFoundException)
        {
            return "(no log file)";
        }
        catch (IOException ex)
        {
            return $"(could not read the log: {ex.Message})";
        }
    }

    // ---- Processes ---------------------------------------------------------------------------------------------------

    sealed record ServerContext(string DataDirectory, string BinDirectory, string SocketDirectory, bool RunAsServiceUser, ILogger? Logger,
        int MaxConnections = 300)
    {
        public string ClusterDirectory => Path.Combine(DataDirectory, "pgdata");

        public string LogFile => Path.Combine(DataDirectory, "postgres.log");

        /// <summary>Runs a PostgreSQL tool, through runuser as the service user when this process is root (initdb, pg_ctl and postgres refuse root).</summary>
        public Task<ProcessResult> RunPgAsync(string tool, IReadOnlyList<string> args, TimeSpan timeout, CancellationToken ct,
            IReadOnlyDictionary<string, string>? environment = null)
        {
            var executable = Path.Combine(BinDirectory, tool);
            // The working directory is the data directory, which the service user can reach, so tools never start in a folder
            // (such as /root) they cannot read. runuser without --login keeps the environment.
            return RunAsServiceUser
                ? RunAsync(FindTool("runuser"), ["-u", ServiceUser, "--", executable, .. args], timeout, DataDirectory, ct, environment)
                : RunAsync(executable, args, timeout, DataDirectory, ct, environment);
        }

        public async Task RunPgCheckedAsync(string tool, IReadOnlyList<string> args, TimeSpan timeout, CancellationToken ct)
        {
            var result = await RunPgAsync(tool, args, timeout, ct);
            if (result.ExitCode != 0)
                throw result.Failure();
        }
    }

    sealed record ProcessResult(string CommandLine, int ExitCode, string StdOut, string StdErr)
    {
        public string Output => string.Join(Environment.NewLine, new[] { StdOut.Trim(), StdErr.Trim() }.Where(text => text.Length > 0));

        public string Describe() =>
            $"`{CommandLine}` exited with code {ExitCode}." + (Output.Length > 0 ? Environment.NewLine + Output : " It printed nothing.");

        public InvalidOperationException Failure() => new(Describe());
    }

    static async Task RunCheckedAsync(string file, IReadOnlyList<string> args, TimeSpan timeout, string? workingDirectory, CancellationToken ct)
    {
        var result = await RunAsync(file, args, timeout, workingDirectory, ct);
        if (result.ExitCode != 0)
            throw result.Failure();
    }

    /// <summary>Runs a program with an argument list (no shell), capturing its output; throws when it cannot start or overruns the timeout.</summary>
    static async Task<ProcessResult> RunAsync(string file, IReadOnlyList<string> args, TimeSpan timeout, string? workingDirectory, CancellationToken ct,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var commandLine = string.Join(' ', new[] { file }.Concat(args).Select(QuoteForDisplay));
        var startInfo = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (workingDirectory is not null)
            startInfo.WorkingDirectory = workingDirectory;
        foreach (var arg in args)
            startInfo.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            startInfo.Environment[name] = value;

        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"Could not run `{commandLine}`: {ex.Message}", ex);
        }
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
            ct.ThrowIfCancellationRequested();
            throw new InvalidOperationException(
                $"`{commandLine}` did not finish within {timeout.TotalSeconds:0} s and was killed.{Environment.NewLine}" +
                $"{await Captured(stdout)}{Environment.NewLine}{await Captured(stderr)}".TrimEnd());
        }
        return new ProcessResult(commandLine, process.ExitCode, await Captured(stdout), await Captured(stderr));
    }

    /// <summary>A child that outlives the command (a server it forked) could hold the pipe open; do not wait for it forever.</summary>
    static async Task<string> Captured(Task<string> read)
    {
        try
        {
            return await read.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            return "(output not captured: a child process kept the pipe open)";
        }
    }

    static string QuoteForDisplay(string arg) =>
        arg.Length > 0 && arg.All(c => IsPlainPathChar(c) || c is '=' or ':' or ',' or '+' or '@')
            ? arg
            : "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }

    /// <summary>System tools (runuser, useradd, chown) live in sbin folders that PATH may lack; fall back to the bare name.</summary>
    static string FindTool(string name)
    {
        foreach (var dir in new[] { "/usr/sbin", "/sbin", "/usr/bin", "/bin" })
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
                return candidate;
        }
        return FindOnPath(name) ?? name;
    }
}
