using System.Runtime;

namespace ModerationConsole.Bench;

/// <summary>
/// Untimed rounds before a benchmark times the console. The runtime compiles hot code again, optimised, after watching
/// it run (tiered compilation), and on a busy machine that goes on for many seconds; timing starts once a round passes
/// with the runtime compiling next to nothing, so the figures describe the console as it runs for hours.
/// </summary>
public static class BenchWarmUp
{
    /// <summary>Fewer methods compiled in a round than this, and the runtime counts as settled.</summary>
    public const int Settled = 20;

    /// <summary>
    /// Runs <paramref name="round"/> (given its number, from 1) until one compiles fewer than <see cref="Settled"/>
    /// methods, <paramref name="maxRounds"/> have run, or a round returns false (nothing left to warm up with).
    /// The rounds run, and the methods compiled in the last.
    /// </summary>
    public static async Task<(int Rounds, long LastRound)> UntilCompiledAsync(Func<int, Task<bool>> round, int maxRounds)
    {
        var rounds = 0;
        long compiled;
        bool more;
        do
        {
            var before = JitInfo.GetCompiledMethodCount();
            more = await round(++rounds);
            compiled = JitInfo.GetCompiledMethodCount() - before;
        }
        while (compiled >= Settled && rounds < maxRounds && more);
        return (rounds, compiled);
    }
}
