using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace ModerationConsole.Data;

// The data directory's lock, the server log, and running the PostgreSQL tools as processes.
public sealed partial class EmbeddedPostgres
{
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
