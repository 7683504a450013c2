using Bunit;
using ModerationConsole.Heads;
using ModerationConsole.Tests.Infrastructure;
using MudBlazor.Services;

namespace ModerationConsole.Tests.Heads;

/// <summary>A head version's figures on the Classifiers page: what it learnt from, how it did, and where to distrust it (bUnit).</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class HeadMetricsViewTests : BunitContext
{
    public HeadMetricsViewTests()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    private static HeadCategoryMetrics Trained(string category, int heldOutPositives, int moderators, bool alwaysHuman = false) =>
        new(category, 400, 900, heldOutPositives, 220, 0.934, 0.8, 0.7, 0.9, "auto-block", 0.95, 0.41, moderators,
            DateTimeOffset.Parse("2026-10-01T00:00:00Z"), DateTimeOffset.Parse("2026-12-01T00:00:00Z"),
            [new CalibrationBin(0.05, 0.02, 180), new CalibrationBin(0.95, 0.9, 60)], alwaysHuman);

    [Fact]
    public void Each_category_shows_its_ROC_AUC_the_precision_at_the_policy_threshold_and_a_calibration_plot()
    {
        var view = Render<HeadMetricsView>(p => p.Add(v => v.Metrics, [Trained("hate", 100, 6)]));

        Assert.Equal("0.934", view.Find("[data-testid=head-auc]").TextContent);
        Assert.Contains("at the policy's auto-block score 0.90: precision 0.95, recall 0.41", view.Find("[data-testid=head-at-threshold]").TextContent);
        Assert.Contains("labels from 6 moderators", view.Find("[data-testid=head-sizes]").TextContent);
        Assert.Equal(2, view.FindAll("[data-testid=calibration] circle").Count);
        Assert.Empty(view.FindAll("[data-testid=too-few]"));
        Assert.Empty(view.FindAll("[data-testid=few-moderators]"));
    }

    [Fact]
    public void Thin_figures_one_moderators_labels_and_an_always_human_category_are_flagged_and_a_skipped_category_says_why()
    {
        var view = Render<HeadMetricsView>(p => p.Add(v => v.Metrics,
        [
            Trained("sexual_minors", 12, 1, alwaysHuman: true),
            HeadCategoryMetrics.NotTrained("<b>weapons</b>", 12, 500, 2, "12 blocks for it; 200 needed"),
        ]));

        var rows = view.FindAll("[data-testid=head-category]");
        Assert.Single(rows[0].QuerySelectorAll("[data-testid=too-few]"));
        Assert.Single(rows[0].QuerySelectorAll("[data-testid=few-moderators]"));
        Assert.Single(rows[0].QuerySelectorAll("[data-testid=always-human]"));
        Assert.Contains("no head: 12 blocks for it; 200 needed", rows[1].TextContent);
        Assert.Contains("<b>weapons</b>", rows[1].TextContent); // a category name is text, never markup
    }
}
