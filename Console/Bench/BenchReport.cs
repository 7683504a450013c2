using System.Globalization;

namespace ModerationConsole.Bench;

/// <summary>Prints figures as they are measured, and ratios against a goal, in a form both people and scripts can read.</summary>
public sealed class BenchReport(TextWriter output)
{
    private readonly List<string> missedGoals = [];

    public IReadOnlyList<string> MissedGoals => missedGoals;

    public void Figure(string name, double value, string unit) =>
        output.WriteLine($"  {name,-44} {Format(value),14} {unit}");

    public void Note(string text) => output.WriteLine($"  {text}");

    /// <summary>
    /// <paramref name="measured"/> / <paramref name="baseline"/>, judged against <paramref name="goal"/>: at least the goal
    /// when <paramref name="higherIsBetter"/>, at most it otherwise. With no goal the ratio is reported for context.
    /// </summary>
    public double Ratio(string name, double measured, double baseline, double? goal, bool higherIsBetter = true)
    {
        var ratio = baseline == 0 ? double.NaN : measured / baseline;
        if (goal is null)
        {
            output.WriteLine($"  {name,-44} {Format(ratio),14}   (no goal)");
            return ratio;
        }
        var met = higherIsBetter ? ratio >= goal : ratio <= goal;
        var relation = higherIsBetter ? "≥" : "≤";
        output.WriteLine($"  {name,-44} {Format(ratio),14}   (goal {relation} {Format(goal.Value)}: {(met ? "met" : "NOT met")})");
        if (!met) missedGoals.Add(name);
        return ratio;
    }

    /// <summary>A bound that is not a ratio (e.g. p99 ≤ 10 ms).</summary>
    public void Goal(string name, double value, string unit, double bound, bool higherIsBetter = false)
    {
        var met = higherIsBetter ? value >= bound : value <= bound;
        var relation = higherIsBetter ? "≥" : "≤";
        output.WriteLine($"  {name,-44} {Format(value),14} {unit}   (goal {relation} {Format(bound)} {unit}: {(met ? "met" : "NOT met")})");
        if (!met) missedGoals.Add(name);
    }

    public void Heading(string text) => output.WriteLine(text);

    private static string Format(double value) =>
        Math.Abs(value) >= 100 ? value.ToString("N0", CultureInfo.InvariantCulture) : value.ToString("0.###", CultureInfo.InvariantCulture);
}
