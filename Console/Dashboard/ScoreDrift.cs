namespace ModerationConsole.Dashboard;

/// <summary>
/// How far a classifier's score distribution moved between two periods, by the population stability index over ten
/// equal score bins: under 0.1 stable, 0.1 to 0.25 moving, 0.25 and over shifted. Too few scores in either period and
/// nothing is claimed.
/// </summary>
public sealed record ScoreDrift(string Source, string Category, long[] LastWeek, long[] ThisWeek)
{
    public const int Bins = 10;
    public const int MinimumPerPeriod = 50;
    public const double Moving = 0.1;
    public const double Shifted = 0.25;
    /// <summary>Marks a prompt model's scores on checks before generation, apart from its scores on items.</summary>
    public const string OnChecks = " on checks";

    public long LastWeekCount => LastWeek.Sum();
    public long ThisWeekCount => ThisWeek.Sum();
    public bool EnoughData => LastWeekCount >= MinimumPerPeriod && ThisWeekCount >= MinimumPerPeriod;
    public double? Index => EnoughData ? PopulationStabilityIndex(LastWeek, ThisWeek) : null;
    public string Verdict => Index switch { null => "not enough data", >= Shifted => "shifted", >= Moving => "moving", _ => "stable" };

    /// <summary>Σ (actual − expected) · ln(actual / expected) over bins of shares; empty bins get a small floor so ln is finite.</summary>
    public static double PopulationStabilityIndex(IReadOnlyList<long> expected, IReadOnlyList<long> actual)
    {
        const double Floor = 1e-4;
        double expectedTotal = expected.Sum(), actualTotal = actual.Sum();
        var index = 0.0;
        for (var i = 0; i < expected.Count; i++)
        {
            var e = Math.Max(expected[i] / expectedTotal, Floor);
            var a = Math.Max(actual[i] / actualTotal, Floor);
            index += (a - e) * Math.Log(a / e);
        }
        return index;
    }
}
