using ModerationConsole.Checks;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Checks;

/// <summary>How long a check's answer is remembered for its id asked again.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class RecentAnswersTests
{
    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void An_answer_is_found_for_at_least_its_time_and_gone_after_twice_that()
    {
        var clock = new Clock();
        var answers = new RecentAnswers<string, string>(TimeSpan.FromMinutes(15), clock);
        answers.Add("first", "deny");

        clock.Now += TimeSpan.FromMinutes(14);
        answers.Add("second", "allow");
        clock.Now += TimeSpan.FromMinutes(14);
        answers.Add("third", "allow");

        Assert.True(answers.TryGet("first", out var first));
        Assert.Equal("deny", first);
        Assert.True(answers.TryGet("second", out _));

        clock.Now += TimeSpan.FromMinutes(16);
        answers.Add("fourth", "allow");
        Assert.False(answers.TryGet("first", out _));
        Assert.False(answers.TryGet("second", out _));
        Assert.True(answers.TryGet("third", out _));
        Assert.False(answers.TryGet("never asked", out _));
    }

    [Fact]
    public void A_flood_of_answers_keeps_at_most_two_generations()
    {
        var answers = new RecentAnswers<int, int>(TimeSpan.FromMinutes(15), new Clock());

        for (var i = 0; i < 2 * RecentAnswers<int, int>.MaxPerGeneration + 1; i++) answers.Add(i, i);

        Assert.False(answers.TryGet(0, out _));
        Assert.True(answers.TryGet(RecentAnswers<int, int>.MaxPerGeneration, out _));
        Assert.True(answers.TryGet(2 * RecentAnswers<int, int>.MaxPerGeneration, out _));
    }
}
