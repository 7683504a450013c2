using System.Diagnostics;
using System.Net.Sockets;
using ModerationConsole.Data;
using ModerationConsole.Hosting;

namespace ModerationConsole.Tests.Infrastructure;

/// <summary>
/// The console's own executable, run as a separate process exactly as an operator runs it: for the command line, and
/// for the browser test (which needs the built app with its static assets).
/// </summary>
public static class ConsoleProcess
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    public static string AppDll
    {
        get
        {
            var root = ConsoleHost.RepositoryRoot() ?? throw new InvalidOperationException("Cannot find the repository root.");
            var dll = Path.Combine(root, "Console", "bin", Configuration, "net10.0", "ModerationConsole.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException("Build the Console project first.", dll);
        }
    }

    public sealed record Result(int ExitCode, string Output, string Errors)
    {
        public string LastLine => Output.TrimEnd().Split('\n').Last().Trim();
    }

    /// <summary>The longest a command may run before it counts as hung, unless a test allows more.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    public static Task<Result> RunAsync(string connectionString, string? standardInput, params string[] args) =>
        RunAsync(Database(connectionString), DefaultTimeout, standardInput, args);

    public static Task<Result> RunAsync(IReadOnlyDictionary<string, string> environment, string? standardInput, params string[] args) =>
        RunAsync(environment, DefaultTimeout, standardInput, args);

    /// <summary>
    /// Runs a command with these environment variables (configuration overrides such as <c>Database__EmbeddedPort</c>)
    /// and kills it if it runs past <paramref name="timeout"/>.
    /// </summary>
    public static async Task<Result> RunAsync(IReadOnlyDictionary<string, string> environment, TimeSpan timeout, string? standardInput, params string[] args)
    {
        using var process = Start(environment, args, redirectInput: true);
        if (standardInput is not null) await process.StandardInput.WriteLineAsync(standardInput);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{string.Join(' ', args)}` ran past {timeout.TotalMinutes:0.#} min; it printed: {await output}\n{await errors}");
        }
        return new Result(process.ExitCode, await output, await errors);
    }

    /// <summary>Starts <c>serve</c> on a free loopback port and waits until it answers.</summary>
    public static Task<RunningConsole> ServeAsync(string connectionString, params string[] extraArgs) =>
        ServeAsync(Database(connectionString), extraArgs);

    public static Task<RunningConsole> ServeAsync(IReadOnlyDictionary<string, string> environment, params string[] extraArgs) =>
        ServeAtAsync(environment, $"http://127.0.0.1:{FreePort()}", extraArgs);

    /// <summary>Starts <c>serve</c> at a given address, e.g. the one a killed console had, so its clients reconnect to it.</summary>
    public static async Task<RunningConsole> ServeAtAsync(IReadOnlyDictionary<string, string> environment, string url, params string[] extraArgs)
    {
        var process = Start(environment, ["serve", "--urls", url, .. extraArgs], redirectInput: false);
        var running = new RunningConsole(process, new Uri(url));
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"serve exited with {process.ExitCode}: {running.Log}");
            try
            {
                if ((await http.GetAsync($"{url}/login")).IsSuccessStatusCode) return running;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"serve did not answer within 60 s: {running.Log}");
            await Task.Delay(200);
        }
    }

    /// <summary>The environment that points the console at an existing database (which turns the embedded cluster off).</summary>
    public static Dictionary<string, string> Database(string connectionString) =>
        new()
        {
            [$"ConnectionStrings__{DataRegistration.ConnectionStringName}"] = connectionString,
            [$"ConnectionStrings__{DataRegistration.MigrationsConnectionStringName}"] = PostgresFixture.AsOwner(connectionString),
            ["Queue__UndoWindow"] = "00:00:00",
            ["Accounts__SecondFactorRequiredFor"] = "",
            ["Retention__Scheduled"] = "false",
            ["Heads__EmbedPastImages"] = "false",
        };

    private static Process Start(IReadOnlyDictionary<string, string> environment, string[] args, bool redirectInput)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = ConsoleHost.RepositoryRoot()!,
        };
        info.ArgumentList.Add(AppDll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        // As for in-process test consoles: two job workers keep a test run's connection count in bounds.
        info.Environment["Jobs__WorkerCount"] = "2";
        // As for in-process test consoles: no models unless a test brings its own, and no scoring of new items.
        info.Environment["Scoring__ModelsDirectory"] = TestConsole.EmptyModelsDirectory.Value;
        info.Environment["Scoring__NewItemsInterval"] = "00:00:00";
        foreach (var (name, value) in environment) info.Environment[name] = value;
        return Process.Start(info) ?? throw new InvalidOperationException("Could not start the console.");
    }

    public static int FreePort()
    {
        var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>A running <c>serve</c> process; its output is collected for failure messages.</summary>
public sealed class RunningConsole : IAsyncDisposable
{
    private readonly Process process;
    private readonly System.Text.StringBuilder log = new();

    public RunningConsole(Process process, Uri baseAddress)
    {
        this.process = process;
        BaseAddress = baseAddress;
        process.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri BaseAddress { get; }

    /// <summary>The console's own process id (<c>dotnet</c> runs the app in the process it starts).</summary>
    public int ProcessId => process.Id;

    public string Log { get { lock (log) return log.ToString(); } }

    /// <summary>Asks the console to shut down as Ctrl+C or a service manager would (SIGTERM) and waits for it to exit.</summary>
    public async Task StopAsync()
    {
        if (process.HasExited) return;
        if (Kill(process.Id, Sigterm) != 0) throw new InvalidOperationException($"kill({process.Id}, SIGTERM) failed");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
    }

    private const int Sigterm = 15;
    private const int Sigkill = 9;

    /// <summary>kill -9: no shutdown, no flushing, connections cut mid-request, as a crash or an OOM kill does.</summary>
    public async Task KillHardAsync()
    {
        if (process.HasExited) return;
        if (Kill(process.Id, Sigkill) != 0) throw new InvalidOperationException($"kill({process.Id}, SIGKILL) failed");
        await process.WaitForExitAsync();
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }
}
