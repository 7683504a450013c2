using ModerationConsole.Simulate;

namespace ModerationConsole.Cli;

/// <summary><c>simulate</c>: a demo producer streaming realistic flagged generations to a console's public hub.</summary>
public static class SimulateCommand
{
    public static async Task<int> RunAsync(CliArguments arguments)
    {
        var url = arguments.TakeOption("--url") ?? throw new UsageException("simulate needs --url URL (e.g. http://127.0.0.1:5080)");
        var key = arguments.TakeOption("--key") ?? Environment.GetEnvironmentVariable("MODERATION_API_KEY")
                  ?? throw new UsageException("simulate needs --key KEY (or the environment variable MODERATION_API_KEY)");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new UsageException("--url must be an absolute http or https URL");
        var options = new SimulationOptions
        {
            Url = url,
            ApiKey = key,
            ItemsPerSecond = arguments.TakeIntOption("--rate", 1, 100_000) ?? 5,
            Count = arguments.TakeIntOption("--count", 0, int.MaxValue) ?? 0,
            BatchSize = arguments.TakeIntOption("--batch", 1, 500) ?? 10,
            MessagePack = arguments.TakeMessagePackProtocol(),
        };
        if (arguments.TakeIntOption("--seed", 0, int.MaxValue) is { } seed) options = options with { Seed = seed };
        if (arguments.Remaining is [var unexpected, ..]) throw new UsageException($"simulate does not take '{unexpected}'");

        using var stop = new CancellationTokenSource();
        System.Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        var summary = await new SimulatedProducer().RunAsync(options, System.Console.WriteLine, stop.Token);
        System.Console.WriteLine(summary.ToString());
        return 0;
    }
}
