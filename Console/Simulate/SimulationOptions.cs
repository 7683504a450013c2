
namespace ModerationConsole.Simulate;

/// <summary>What <see cref="SimulatedProducer"/> sends, where, and how fast.</summary>
public sealed record SimulationOptions
{
    /// <summary>The console's base URL, e.g. http://127.0.0.1:5080.</summary>
    public required string Url { get; init; }

    public required string ApiKey { get; init; }

    public double ItemsPerSecond { get; init; } = 5;

    /// <summary>How many generations to send; 0 streams until cancelled.</summary>
    public long Count { get; init; }

    public int BatchSize { get; init; } = 10;

    /// <summary>Over SignalR's MessagePack protocol, each image as its bytes, instead of JSON with base64.</summary>
    public bool MessagePack { get; init; }

    /// <summary>One blocked generation in this many is appealed by its user (0: none), and so is every other suspension.</summary>
    public int AppealEvery { get; init; } = 6;

    /// <summary>Seeds the generator, so a run can be repeated exactly.</summary>
    public int Seed { get; init; } = Environment.TickCount;
}

/// <summary>What a simulation run sent and what came back.</summary>
public sealed record SimulationSummary(
    long Submitted,
    long Accepted,
    long Duplicates,
    long Rejected,
    IReadOnlyDictionary<string, long> Routes,
    long DecisionsReceived,
    TimeSpan Elapsed,
    long UserNoticesReceived = 0,
    long AppealsSent = 0,
    long RefusedBeforeGeneration = 0)
{
    public override string ToString()
    {
        var routes = string.Join(", ", Routes.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key} {r.Value}"));
        return $"simulate: {RefusedBeforeGeneration} refused by the check before generation; {Submitted} submitted ({Accepted} accepted, {Duplicates} duplicate, {Rejected} rejected) " +
               $"in {Elapsed.TotalSeconds:0.0} s; routes: {(routes.Length == 0 ? "none" : routes)}; decisions received: {DecisionsReceived}; " +
               $"account notices received: {UserNoticesReceived}; appeals sent: {AppealsSent}";
    }

    internal static bool IsAutomatic(string? route) => route is Policy.Routes.AutoBlocked or Policy.Routes.AutoApproved;
}
