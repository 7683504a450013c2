using System.ComponentModel.DataAnnotations;

namespace ModerationConsole.Demo;

/// <summary>Section "Demo": how much simulated traffic <c>serve --demo</c> streams.</summary>
public sealed class DemoOptions
{
    public const string Section = "Demo";

    [Range(0.1, 1000)]
    public double ItemsPerSecond { get; set; } = 1;

    [Range(1, 500)]
    public int BatchSize { get; set; } = 5;
}
