using ModerationConsole.Hashing;

namespace ModerationConsole.Cli;

/// <summary>
/// <c>hash FILE...</c>: the PDQ hash of each file as ingest computes it, printed as Meta's PDQ tools print theirs
/// (<c>pdqhex,quality,file</c>), so a team can compare with a partner's list or Meta's reference hasher. A file that
/// cannot be read or decoded gets an error line naming it on standard error; the others are still hashed.
/// </summary>
public static class HashCommand
{
    public static int Run(CliArguments arguments, TextWriter output, TextWriter errors)
    {
        var files = new List<string>();
        while (arguments.TakeWord() is { } file) files.Add(file);
        if (arguments.Remaining.Length > 0) throw new UsageException($"hash takes files only (got '{arguments.Remaining[0]}')");
        if (files.Count == 0) throw new UsageException("hash needs at least one FILE");

        var failed = 0;
        foreach (var file in files)
        {
            var line = Describe(file, out var hashed);
            (hashed ? output : errors).WriteLine(line);
            if (!hashed) failed++;
        }
        return failed == 0 ? 0 : 1;
    }

    private static string Describe(string file, out bool hashed)
    {
        hashed = false;
        byte[] bytes;
        try { bytes = File.ReadAllBytes(file); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"error: {file}: {ex.Message}";
        }
        if (ImageFingerprint.TryHash(bytes) is not { } result) return $"error: {file}: not an image this console decodes completely";
        hashed = true;
        return $"{result.Hash},{result.Quality},{file}";
    }
}
