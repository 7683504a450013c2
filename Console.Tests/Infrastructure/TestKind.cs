namespace ModerationConsole.Tests.Infrastructure;

/// <summary>
/// What a test class needs to run, as the trait <c>Kind</c> on the class, so that a subset can be run alone:
/// <c>./test.sh --filter-trait "Kind=unit"</c> runs the tests that need nothing but the process, in seconds.
/// <see cref="TestKindTests"/> holds every test class to exactly one kind.
/// </summary>
public static class TestKind
{
    public const string Trait = "Kind";

    /// <summary>Nothing but this process: no database, no other process, no browser.</summary>
    public const string Unit = "unit";

    /// <summary>A real PostgreSQL, and consoles in this process or as processes, spoken to over loopback.</summary>
    public const string Database = "database";

    /// <summary>The built console driven through headless Chromium.</summary>
    public const string Browser = "browser";

    /// <summary>Killed processes, restarted servers and many moderators at once: the slowest tests.</summary>
    public const string Faults = "faults";

    /// <summary>Each benchmark run at a small size, so it keeps working between measured runs.</summary>
    public const string Bench = "bench";

    /// <summary>The console compared with a reference implementation run in Node.js (nsfwjs, TensorFlow.js).</summary>
    public const string Peer = "peer";

    public static readonly IReadOnlySet<string> All = new HashSet<string> { Unit, Database, Browser, Faults, Bench, Peer };
}
