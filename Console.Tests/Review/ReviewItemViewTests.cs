using ModerationConsole.Tests.Infrastructure;
using System.Text.RegularExpressions;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using ModerationConsole.Ingest.Validation;
using ModerationConsole.Policy;
using ModerationConsole.Review;
using MudBlazor.Services;

namespace ModerationConsole.Tests.Review;

/// <summary>The review view, rendered with bUnit: what a moderator sees and what each action sends.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class ReviewItemViewTests : BunitContext
{
    private static readonly IReadOnlyList<CategoryRule> Categories = new PolicyOptions().ToDocument().Categories;

    private readonly List<ReviewDecision> decisions = [];
    private IEnumerable<string?> Approved => decisions.Where(d => d.Decision == "approved").Select(d => d.Note);
    private IEnumerable<ReviewDecision> Blocked => decisions.Where(d => d.Decision == "blocked");
    private readonly List<string?> escalated = [];

    public ReviewItemViewTests()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    private static ReviewItem Item(long id = 7, string prompt = "a portrait of a celebrity, nude", IReadOnlyList<string>? routeCategories = null) =>
        new(id, Queues.Standard, "gen-7", "platform", "user-42", prompt, "blurry", "imagegen-xl 2.1",
            DateTimeOffset.Parse("2026-11-24T10:00:00Z"), DateTimeOffset.Parse("2026-11-24T10:00:01Z"),
            Routes.Queued, routeCategories ?? ["sexual", "real_person"], 60, "DE", "free", false, 512, 512, "image/png",
            [new CategoryScore("sexual", "Sexual content", 0.81, true), new CategoryScore("violence", "Violence and gore", 0.02, false)],
            new Dictionary<string, string> { ["client"] = "web" }, 2,
            [new PriorDecision(3, "blocked", ["sexual"], false, DateTimeOffset.Parse("2026-11-20T09:00:00Z"))]);

    private IRenderedComponent<ReviewItemView> RenderView(ReviewItem item, bool canEscalate = true) =>
        Render<ReviewItemView>(p => p
            .Add(v => v.Item, item)
            .Add(v => v.Categories, Categories)
            .Add(v => v.CanEscalate, canEscalate)
            .Add(v => v.OnDecide, decision => decisions.Add(decision))
            .Add(v => v.OnEscalate, note => escalated.Add(note)));

    [Fact]
    public void The_prompt_scores_user_history_and_strikes_are_shown()
    {
        var view = RenderView(Item());

        Assert.Contains("a portrait of a", view.Find("[data-testid=prompt]").TextContent);
        Assert.Equal(2, view.FindAll("[data-testid=score]").Count);
        Assert.Contains("0.81", view.Markup);
        Assert.Contains("2 previous strikes", view.Find("[data-testid=strikes]").TextContent);
        Assert.Contains("user-42", view.Find("[data-testid=user]").TextContent);
        Assert.Empty(view.FindAll("[data-testid=review-error]"));
    }

    [Fact]
    public void Each_active_classifiers_scores_follow_the_producers_with_the_negligible_ones_counted_not_drawn()
    {
        var item = Item() with
        {
            Classifiers =
            [
                new ClassifierScores("nsfwjs-mobilenet-v2@4.4.0",
                    [new CategoryScore("sexual", "Sexual content", 0.93, true), new CategoryScore("suggestive", "Suggestive (not explicit)", 0.004, false)]),
                new ClassifierScores("prompt-fasttext@1",
                    [new CategoryScore("hate", "Hate", 0.001, false), new CategoryScore("violence", "Violence and gore", 0.0, false)]),
            ],
        };

        var view = RenderView(item);

        Assert.Equal(["Scores (nsfwjs-mobilenet-v2@4.4.0)", "Scores (prompt-fasttext@1)"],
            view.FindAll("[data-testid=classifier-source]").Select(e => e.TextContent.Trim()));
        var drawn = Assert.Single(view.FindAll("[data-testid=classifier-score]"));
        Assert.Contains("Sexual content", drawn.TextContent);
        Assert.Contains("0.93", drawn.TextContent);
        Assert.Equal(["1 more category below 0.01", "Every category below 0.01"],
            view.FindAll("[data-testid=classifier-below]").Select(e => e.TextContent.Trim()));
        Assert.Equal(2, view.FindAll("[data-testid=score]").Count); // the producer's, unchanged
    }

    [Fact]
    public void Risky_terms_in_the_prompt_are_marked()
    {
        var view = RenderView(Item());

        var marked = view.FindAll("[data-testid=prompt] mark").Select(m => m.TextContent).ToList();
        Assert.Equal(["celebrity", "nude"], marked);
    }

    [Fact]
    public void A_prompt_containing_markup_is_shown_as_text_and_stays_inert()
    {
        var view = RenderView(Item(prompt: "<script>alert('x')</script><img src=x onerror=alert(1)>"));

        var prompt = view.Find("[data-testid=prompt]");
        Assert.Empty(prompt.QuerySelectorAll("script"));
        Assert.Empty(prompt.QuerySelectorAll("img"));
        Assert.Contains("<script>alert('x')</script>", prompt.TextContent);
    }

    [Fact]
    public void Invisible_characters_in_the_prompt_are_shown_as_markers_so_nothing_is_hidden_or_reordered()
    {
        // A right-to-left override would show "exe.gpj" as "jpg.exe"; a zero-width space splits a word a filter looks for.
        var view = RenderView(Item(prompt: "photo ‮exe.gpj‬ of a nu​de person"));

        var markers = view.FindAll("[data-testid=prompt] .invisible-char").Select(m => m.TextContent).ToList();
        Assert.Equal(["⟨U+202E⟩", "⟨U+202C⟩", "⟨U+200B⟩"], markers);
        Assert.DoesNotContain('‮', view.Find("[data-testid=prompt]").TextContent);
    }

    [Fact]
    public void Risky_terms_are_matched_without_a_clock_so_a_busy_server_still_marks_them()
    {
        // A matching timeout is wall-clock time and was reached on ordinary prompts on a busy server; matching without
        // backtracking takes time in step with the prompt, so no timeout is set.
        var pattern = PromptHighlighter.RiskyTerms();
        Assert.True(pattern.Options.HasFlag(RegexOptions.NonBacktracking));
        Assert.Equal(Regex.InfiniteMatchTimeout, pattern.MatchTimeout);

        // The longest prompt ingest accepts, made of near misses that keep a matcher busy, with one term at its very end.
        var nearMisses = string.Concat(Enumerable.Repeat("nudenakedkillingsexua ", GenerationValidator.MaxPromptLength / 22 + 1));
        var prompt = nearMisses[..(GenerationValidator.MaxPromptLength - " nude".Length)] + " nude";
        var segments = PromptHighlighter.Split(prompt);
        Assert.Equal(["nude"], segments.Where(s => s.Risky).Select(s => s.Text));
        Assert.Equal(prompt, string.Concat(segments.Select(s => s.Text)));
    }

    [Fact]
    public void The_image_is_blurred_until_revealed_and_r_toggles_it()
    {
        var view = RenderView(Item());
        var image = () => view.Find("[data-testid=review-image]");
        Assert.Contains("concealed", image().ClassName);

        view.Find("[data-testid=reveal]").Click();
        Assert.DoesNotContain("concealed", image().ClassName);

        view.InvokeAsync(() => view.Instance.HandleShortcutAsync("r"));
        Assert.Contains("concealed", image().ClassName);
    }

    [Fact]
    public void The_image_names_its_address_for_the_page_script_which_shows_the_bytes_fetched_ahead()
    {
        var item = Item();
        var view = RenderView(item);

        var image = view.Find("[data-testid=review-image]");
        Assert.Equal($"/review/images/{item.Id}", image.GetAttribute("data-src"));
        // No src of its own: the browser would fetch the image again instead of using the one in memory.
        Assert.Null(image.GetAttribute("src"));
    }

    [Fact]
    public void The_categories_routing_found_are_preselected_and_b_blocks_with_them()
    {
        var view = RenderView(Item());

        view.InvokeAsync(() => view.Instance.HandleShortcutAsync("b"));

        var block = Assert.Single(Blocked);
        Assert.Equal(["sexual", "real_person"], block.Categories);
    }

    [Fact]
    public void Number_keys_toggle_categories_in_the_policy_order()
    {
        var view = RenderView(Item(routeCategories: []));
        var first = Categories[0].Name;
        // Each chip shows the key that toggles it.
        Assert.Equal(Enumerable.Range(1, Categories.Count).Select(n => n.ToString()),
            Categories.Select(c => view.Find($"[data-testid=category-{c.Name}] .kbd").TextContent));

        view.InvokeAsync(() => view.Instance.HandleShortcutAsync("1"));
        Assert.Equal("true", view.Find($"[data-testid=category-{first}]").GetAttribute("data-selected"));
        view.InvokeAsync(() => view.Instance.HandleShortcutAsync("b"));

        Assert.Equal([first], Assert.Single(Blocked).Categories);
    }

    [Fact]
    public void Blocking_without_a_category_asks_for_one_and_sends_nothing()
    {
        var view = RenderView(Item(routeCategories: []));

        view.Find("[data-testid=block]").Click();

        Assert.Empty(Blocked);
        Assert.Contains("Choose at least one policy category", view.Find("[data-testid=review-error]").TextContent);
    }

    [Fact]
    public void Approve_and_escalate_send_the_note()
    {
        var view = RenderView(Item());
        view.Find("[data-testid=note] textarea, textarea[data-testid=note]").Change("checked against the reference photo");

        view.InvokeAsync(() => view.Instance.HandleShortcutAsync("a"));
        view.InvokeAsync(() => view.Instance.HandleShortcutAsync("e"));

        Assert.Equal(["checked against the reference photo"], Approved);
        Assert.Equal(["checked against the reference photo"], escalated);
    }

    [Fact]
    public void In_the_escalation_queue_there_is_no_escalate_action()
    {
        var view = RenderView(Item(), canEscalate: false);

        Assert.Empty(view.FindAll("[data-testid=escalate]"));
        view.InvokeAsync(() => view.Instance.HandleShortcutAsync("e"));
        Assert.Empty(escalated);
    }

    [Fact]
    public void A_new_item_conceals_the_image_again_and_clears_the_note()
    {
        var view = RenderView(Item(id: 1));
        view.Find("[data-testid=reveal]").Click();

        view.Render(p => p.Add(v => v.Item, Item(id: 2)));

        Assert.Contains("concealed", view.Find("[data-testid=review-image]").ClassName);
        Assert.False(view.Instance.Revealed);
    }

    [Fact]
    public void An_error_from_the_last_action_is_shown()
    {
        var view = Render<ReviewItemView>(p => p
            .Add(v => v.Item, Item())
            .Add(v => v.Categories, Categories)
            .Add(v => v.Error, "Your claim on this item expired"));

        Assert.Contains("expired", view.Find("[data-testid=review-error]").TextContent);
    }

    private static NearDuplicate Near(long id, int? distance, bool sameUser = false, bool heldByOther = false) => new()
    {
        Id = id, Queue = Queues.Standard, UserId = "user-42", Prompt = "same template", ImageDistance = distance, SameUser = sameUser,
        HeldByOther = heldByOther,
    };

    [Fact]
    public void Similar_images_ticks_the_near_duplicates_nobody_else_holds_and_a_block_carries_them_and_the_bank_choice()
    {
        var view = Render<ReviewItemView>(p => p
            .Add(v => v.Item, Item())
            .Add(v => v.Categories, Categories)
            .Add(v => v.CanBank, true)
            .Add(v => v.NearDuplicates, [Near(21, 3), Near(22, null, sameUser: true), Near(23, 5, heldByOther: true)])
            .Add(v => v.OnDecide, decision => decisions.Add(decision)));

        Assert.Equal(3, view.FindAll("[data-testid=near-duplicate]").Count);
        Assert.DoesNotContain("+", view.Find("[data-testid=block]").TextContent);
        view.Find("[data-testid=select-similar]").Click();
        Assert.Contains("+ 1", view.Find("[data-testid=block]").TextContent);
        view.Find("input[data-testid=add-to-bank], [data-testid=add-to-bank] input").Change(true);
        view.InvokeAsync(() => view.Instance.HandleShortcutAsync("b"));

        var block = Assert.Single(Blocked);
        Assert.Equal([21L], block.AlsoDecide);
        Assert.True(block.AddToBank);
    }

    [Fact]
    public void Look_alike_images_are_listed_apart_from_items_that_only_share_the_user()
    {
        var view = Render<ReviewItemView>(p => p
            .Add(v => v.Item, Item())
            .Add(v => v.Categories, Categories)
            .Add(v => v.NearDuplicates, [Near(21, 3), Near(22, null, sameUser: true), Near(23, 5, heldByOther: true)]));

        Assert.Equal("Look-alike images (2)", view.Find("[data-testid=near-group-images]").TextContent);
        Assert.Equal("Same user or same prompt, another image (1)", view.Find("[data-testid=near-group-others]").TextContent);
        Assert.Equal(["21", "23", "22"], view.FindAll("[data-testid=near-duplicate]").Select(n => n.GetAttribute("data-item-id")));
    }

    [Fact]
    public void A_look_alike_image_says_how_many_bits_apart_it_is()
    {
        var view = Render<ReviewItemView>(p => p
            .Add(v => v.Item, Item())
            .Add(v => v.Categories, Categories)
            .Add(v => v.NearDuplicates, [Near(21, 3), Near(22, null, sameUser: true)]));

        Assert.Equal(["look-alike image, 3 bits apart"], view.FindAll("[data-testid=near-image]").Select(e => e.TextContent.Trim()));
    }

    [Fact]
    public void All_ticks_every_near_duplicate_nobody_else_holds_and_none_clears_them()
    {
        var view = Render<ReviewItemView>(p => p
            .Add(v => v.Item, Item())
            .Add(v => v.Categories, Categories)
            .Add(v => v.NearDuplicates, [Near(21, 3), Near(22, null, sameUser: true), Near(23, 5, heldByOther: true)])
            .Add(v => v.OnDecide, decision => decisions.Add(decision)));

        view.Find("[data-testid=select-all]").Click();
        view.InvokeAsync(() => view.Instance.HandleShortcutAsync("a"));
        view.Find("[data-testid=select-none]").Click();
        view.InvokeAsync(() => view.Instance.HandleShortcutAsync("a"));

        Assert.Equal([21L, 22L], decisions[0].AlsoDecide);
        Assert.Empty(decisions[1].AlsoDecide!);
    }

    [Fact]
    public void A_plain_image_cannot_be_banked()
    {
        var view = Render<ReviewItemView>(p => p
            .Add(v => v.Item, Item())
            .Add(v => v.Categories, Categories)
            .Add(v => v.CanBank, false)
            .Add(v => v.OnDecide, decision => decisions.Add(decision)));

        Assert.True(view.Find("input[data-testid=add-to-bank], [data-testid=add-to-bank] input").HasAttribute("disabled"));
        view.InvokeAsync(() => view.Instance.HandleShortcutAsync("b"));
        Assert.False(Assert.Single(Blocked).AddToBank);
    }

    [Fact]
    public void Greyscale_applies_even_to_a_revealed_image_and_a_repeat_abuser_is_flagged()
    {
        var view = Render<ReviewItemView>(p => p
            .Add(v => v.Item, Item() with { UserStrikes = ReviewItemView.RepeatAbuserStrikes })
            .Add(v => v.Categories, Categories)
            .Add(v => v.Greyscale, true));

        view.Find("[data-testid=reveal]").Click();
        Assert.Contains("greyscale", view.Find("[data-testid=review-image]").ClassName);
        Assert.DoesNotContain("concealed", view.Find("[data-testid=review-image]").ClassName);
        Assert.NotNull(view.Find("[data-testid=repeat-abuser]"));
    }
}
