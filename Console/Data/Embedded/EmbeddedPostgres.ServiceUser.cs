using System.Security.Cryptography;
using System.Text;

namespace ModerationConsole.Data;

// Running as root: the postgres system user that initdb and pg_ctl need, and the folders it must reach.
public sealed partial class EmbeddedPostgres
{
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
}
