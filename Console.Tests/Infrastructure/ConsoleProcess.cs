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

    public static async Task<Result> RunAsync(string connectionString, string? standardInput, params string[] args)
    {
        using var process = Start(connectionString, args, redirectInput: true);
        if (standardInput is not null) await process.StandardInput.WriteLineAsync(standardInput);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await output, await errors);
    }

    /// <summary>Starts <c>serve</c> on a free loopback port and waits until it answers.</summary>
    public static async Task<RunningConsole> ServeAsync(string connectionString, params string[] extraArgs)
    {
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        var process = Start(connectionString, ["serve", "--urls", url, .. extraArgs], redirectInput: false);
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

    private static Process Start(string connectionString, string[] args, bool redirectInput)
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
        info.Environment[$"ConnectionStrings__{DataRegistration.ConnectionStringName}"] = connectionString;
        return Process.Start(info) ?? throw new InvalidOperationException("Could not start the console.");
    }

    private static int FreePort()
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

    public string Log { get { lock (log) return log.ToString(); } }

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
