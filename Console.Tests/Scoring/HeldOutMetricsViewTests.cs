using Bunit;
using Microsoft.Extensions.DependencyInjection;
using ModerationConsole.Scoring;
using ModerationConsole.Tests.Infrastructure;
using MudBlazor.Services;

namespace ModerationConsole.Tests.Scoring;

/// <summary>A version's held-out figures say what they were measured on and where they are too thin to trust (bUnit).</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class HeldOutMetricsViewTests : BunitContext
{
    public HeldOutMetricsViewTests()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    [Fact]
    public void Figures_from_decisions_name_the_held_out_size_and_flag_thin_categories()
    {
        var view = Render<HeldOutMetricsView>(p => p.Add(v => v.Metrics, new[]
        {
            new CategoryMetrics("sexual", 120, 100, 10, 0.91, 0.83, CategoryMetrics.OnDecisions, 800),
            new CategoryMetrics("hate", 12, 10, 1, 0.91, 0.83, CategoryMetrics.OnDecisions, 800),
        }));

        Assert.Equal("Tested on the latest 800 moderators' decisions, from users it was not trained on.", view.Find("[data-testid=held-out-basis]").TextContent.Trim());
        var rows = view.FindAll("[data-testid=held-out-category]");
        Assert.Empty(rows[0].QuerySelectorAll("[data-testid=too-few]"));
        Assert.Single(rows[1].QuerySelectorAll("[data-testid=too-few]"));
    }

    [Fact]
    public void Figures_from_the_shipped_prompts_say_they_do_not_measure_the_platform()
    {
        var view = Render<HeldOutMetricsView>(p => p.Add(v => v.Metrics, new[]
        {
            new CategoryMetrics("sexual", 90, 90, 0, 1.0, 1.0, CategoryMetrics.OnShippedPrompts, 586),
        }));

        Assert.Contains("not how well on your platform", view.Find("[data-testid=held-out-basis]").TextContent);
    }
}
