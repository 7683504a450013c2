using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ModerationConsole.Data;

// The cluster and its server process: initdb, finding a server already running, clearing a dead one's locks, starting it.
public sealed partial class EmbeddedPostgres
{
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
    /// its own environment (docs/operations.md, "PostgreSQL server settings").
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
}
