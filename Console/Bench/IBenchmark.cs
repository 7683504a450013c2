namespace ModerationConsole.Bench;

/// <summary>
/// One benchmark of the <c>bench</c> command. It measures its figure and the baseline it is judged against in the same
/// run, on the same scratch database, and reports both with their ratio (so a slow machine moves both, not the ratio).
/// </summary>
public interface IBenchmark
{
    /// <summary>The word after <c>bench</c>, e.g. <c>export</c>.</summary>
    string Name { get; }

    /// <summary>One line for <c>bench list</c>: what is measured against what, and the goal.</summary>
    string Summary { get; }

    Task RunAsync(BenchRun run, CancellationToken ct);
}
