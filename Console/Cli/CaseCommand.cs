using ModerationConsole.Cases;

namespace ModerationConsole.Cli;

/// <summary><c>case verify BUNDLE</c>: checks an evidence bundle offline (<see cref="BundleVerifier"/>); exit 1 naming what does not match.</summary>
public static class CaseCommand
{
    public static int Run(CliArguments arguments, TextWriter output, TextWriter errors)
    {
        if (arguments.TakeWord() != "verify") throw new UsageException("case takes: verify BUNDLE");
        var path = arguments.TakeWord() ?? throw new UsageException("case verify needs the bundle's path");
        if (arguments.Remaining.Length > 0) throw new UsageException($"case verify takes one bundle (got '{arguments.Remaining[0]}')");
        using var file = File.OpenRead(path);
        var result = BundleVerifier.Verify(file);
        foreach (var problem in result.Problems) errors.WriteLine($"mismatch: {problem}");
        if (result.Intact)
            output.WriteLine($"The bundle of case #{result.CaseId} is intact: {result.Files} files and {result.AuditEntries} audit entries match.");
        if (result.ManifestSha256 is { } manifest)
            output.WriteLine($"Manifest SHA-256 {manifest}: the console's audit log holds it in the case.sealed entry of case #{result.CaseId}.");
        return result.Intact ? 0 : 1;
    }
}
