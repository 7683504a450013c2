using System.Globalization;
using System.Text;

namespace ModerationConsole.Data;

// Finding the PostgreSQL binaries and checking the options before anything is created.
public sealed partial class EmbeddedPostgres
{
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
}
