using System.Diagnostics;
using System.Text.Json;
using ModerationConsole.Hosting;

namespace ModerationConsole.Tests.Infrastructure;

/// <summary>
/// A real OpenID Connect provider on loopback: panva's oidc-provider in Node.js (scripts/oidc-provider, installed by
/// <c>./test.sh</c> from its lock file), with one client registered for the console at <see cref="ConsoleAddress"/>.
/// Its sign-in page takes any login name; the account's email and groups come from <see cref="SetAccountsAsync"/>.
/// </summary>
public sealed class OidcProvider : IAsyncDisposable
{
    public const string ClientId = "moderation-console";
    public const string ClientSecret = "a-test-client-secret-of-some-length";

    private readonly Process process;
    private readonly string accountsFile;

    private OidcProvider(Process process, string accountsFile, Uri authority, Uri consoleAddress)
    {
        this.process = process;
        this.accountsFile = accountsFile;
        Authority = authority;
        ConsoleAddress = consoleAddress;
    }

    public Uri Authority { get; }

    /// <summary>Where the console must serve: its sign-in callbacks are registered at the provider under this address.</summary>
    public Uri ConsoleAddress { get; }

    public static string Folder => Path.Combine(ConsoleHost.RepositoryRoot() ?? ".", "scripts", "oidc-provider");

    public static async Task<OidcProvider> StartAsync()
    {
        if (!Directory.Exists(Path.Combine(Folder, "node_modules", "oidc-provider")))
            throw new InvalidOperationException($"oidc-provider is not installed in {Folder}: run npm ci --ignore-scripts --prefix scripts/oidc-provider (./test.sh does)");
        var port = ConsoleProcess.FreePort();
        var console = new Uri($"http://127.0.0.1:{ConsoleProcess.FreePort()}");
        var accountsFile = Path.Combine(Directory.CreateTempSubdirectory("oidc-accounts-").FullName, "accounts.json");
        await File.WriteAllTextAsync(accountsFile, "{}");
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "provider.mjs", port.ToString(), ClientId, ClientSecret, $"{console}signin-oidc", $"{console}signout-callback-oidc", accountsFile })
            info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            if (line.StartsWith("listening ", StringComparison.Ordinal))
                return new OidcProvider(process, accountsFile, new Uri(line["listening ".Length..]), console);
        throw new InvalidOperationException($"oidc-provider exited with {process.ExitCode} before listening");
    }

    /// <summary>The people the provider knows: login name → email and groups. Read again at every sign-in.</summary>
    public Task SetAccountsAsync(IReadOnlyDictionary<string, (string Email, string[] Groups)> accounts) =>
        File.WriteAllTextAsync(accountsFile, JsonSerializer.Serialize(
            accounts.ToDictionary(a => a.Key, a => new { email = a.Value.Email, groups = a.Value.Groups })));

    /// <summary>The console's settings that point it at this provider.</summary>
    public string[] ConsoleSettings(params string[] roleMappings) =>
    [
        $"--Sso:Authority={Authority}",
        $"--Sso:ClientId={ClientId}",
        $"--Sso:ClientSecret={ClientSecret}",
        "--Sso:RequireHttpsMetadata=false",
        "--Sso:DisplayName=Example SSO",
        .. roleMappings.Select(m => $"--Sso:Roles:{m}"),
    ];

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }
}
