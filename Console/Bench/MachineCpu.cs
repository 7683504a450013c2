using System.Globalization;

namespace ModerationConsole.Bench;

/// <summary>
/// Busy CPU time of the whole machine (every process: the console, the bench's own clients, PostgreSQL), read from
/// Linux's /proc/stat. It says whether a phase was bound by CPU (the CPU it took against the cores and seconds it had)
/// and what each item cost the machine as a whole, the bench's own clients included.
/// </summary>
public static class MachineCpu
{
    private const string Stat = "/proc/stat";

    /// <summary>Clock ticks per second of /proc/stat's counters (USER_HZ, 100 on every Linux port in use).</summary>
    private const double TicksPerSecond = 100;

    /// <summary>Whether this machine reports its CPU time (Linux); elsewhere the benches leave the figure out.</summary>
    public static bool Available => File.Exists(Stat);

    /// <summary>CPU time spent so far by all cores on anything but idling or waiting for the disk (zero where not <see cref="Available"/>).</summary>
    public static TimeSpan Busy()
    {
        if (!Available) return TimeSpan.Zero;
        // "cpu  user nice system idle iowait irq softirq steal guest guest_nice": guest time is inside user already, and
        // steal is time the host gave to someone else.
        var fields = File.ReadLines(Stat).First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var ticks = new[] { 1, 2, 3, 6, 7 }.Sum(i => long.Parse(fields[i], CultureInfo.InvariantCulture));
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }
}
