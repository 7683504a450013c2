using System.ComponentModel.DataAnnotations;

namespace ModerationConsole.Operations;

/// <summary>Section "Operations": what operators' tools (Prometheus, load balancers) may read.</summary>
public sealed class OperationsOptions
{
    public const string Section = "Operations";

    /// <summary>
    /// Networks (CIDR, e.g. 10.0.0.0/8) besides loopback that may scrape <c>/metrics</c>. Queue depths and decision rates
    /// are operational secrets of a T&amp;S team, so the endpoint is not public by default.
    /// </summary>
    public string[]? MetricsAllowedNetworks { get; set; }

    /// <summary>How often the gauges (queue depth, oldest item, decisions per hour) are re-read from the database.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(10);
}
