namespace ModerationConsole.Cli;

/// <summary>
/// The command words and the options a command knows; everything else (--urls, --ConnectionStrings:Moderation=...)
/// is left for the host's configuration, so every command can be pointed at another database or port.
/// </summary>
public sealed class CliArguments
{
    private readonly List<string> rest;

    public CliArguments(IEnumerable<string> args) => rest = args.ToList();

    /// <summary>Takes <c>--name value</c> or <c>--name=value</c>; null when absent.</summary>
    public string? TakeOption(string name)
    {
        for (var i = 0; i < rest.Count; i++)
        {
            if (rest[i] == name)
            {
                if (i + 1 >= rest.Count) throw new UsageException($"{name} needs a value");
                var value = rest[i + 1];
                rest.RemoveRange(i, 2);
                return value;
            }
            if (rest[i].StartsWith(name + "=", StringComparison.Ordinal))
            {
                var value = rest[i][(name.Length + 1)..];
                rest.RemoveAt(i);
                return value;
            }
        }
        return null;
    }

    public int? TakeIntOption(string name, int min, int max)
    {
        var text = TakeOption(name);
        if (text is null) return null;
        if (!int.TryParse(text, out var value) || value < min || value > max)
            throw new UsageException($"{name} must be a whole number from {min} to {max}");
        return value;
    }

    /// <summary>Takes an option whose value must be one of <paramref name="choices"/>; null when absent.</summary>
    public string? TakeChoice(string name, params string[] choices)
    {
        var value = TakeOption(name);
        if (value is null || choices.Contains(value, StringComparer.Ordinal)) return value;
        throw new UsageException($"{name} must be {string.Join(" or ", choices)} (got '{value}')");
    }

    /// <summary>
    /// <c>--protocol json|messagepack</c> of the commands that act as a producer: whether to speak SignalR's
    /// MessagePack protocol (JSON when absent, as producers in most languages write it).
    /// </summary>
    public bool TakeMessagePackProtocol() => TakeChoice("--protocol", "json", "messagepack") == "messagepack";

    public bool TakeFlag(string name) => rest.Remove(name);

    /// <summary>The next word that is not an option.</summary>
    public string? TakeWord()
    {
        var index = rest.FindIndex(a => !a.StartsWith('-'));
        // A value following a host option (--urls URL) is not a word.
        while (index > 0 && rest[index - 1].StartsWith("--", StringComparison.Ordinal) && !rest[index - 1].Contains('='))
            index = rest.FindIndex(index + 1, a => !a.StartsWith('-'));
        if (index < 0) return null;
        var word = rest[index];
        rest.RemoveAt(index);
        return word;
    }

    public string[] Remaining => rest.ToArray();
}

public sealed class UsageException(string message) : Exception(message);
