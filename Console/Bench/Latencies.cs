namespace ModerationConsole.Bench;

public static class Latencies
{
    /// <summary>The nearest-rank percentile <paramref name="p"/> (0–1) of ascending <paramref name="sorted"/>; NaN when empty.</summary>
    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
