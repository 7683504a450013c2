using ModerationConsole.Accounts;
using ModerationConsole.Tests.Infrastructure;
using ModerationConsole.Wellness;

namespace ModerationConsole.Tests.Wellness;

/// <summary>Severe exposure is counted per moderator and a break is suggested every N severe items; preferences persist.</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class ExposureTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres, "--Wellness:BreakAfterSevere=3")
{
    [Fact]
    public async Task Every_third_severe_item_suggests_a_break_and_mild_or_repeated_ones_do_not_count()
    {
        var exposures = console.Service<Exposures>();
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var items = new List<long>();
        for (var i = 0; i < 6; i++) items.Add((await producer.SubmitAsync(GenerationBuilder.Queued().Build())).ItemId!.Value);

        var prompts = new List<bool>();
        foreach (var item in items.Take(3)) prompts.Add(await exposures.RecordShownAsync(moderator, item, severity: 60) is not null);
        prompts.Add(await exposures.RecordShownAsync(moderator, items[0], severity: 60) is not null); // shown again: counted once
        prompts.Add(await exposures.RecordShownAsync(moderator, items[3], severity: 30) is not null); // not severe
        foreach (var item in items.Skip(4)) prompts.Add(await exposures.RecordShownAsync(moderator, item, severity: 100) is not null);
        await exposures.RecordRevealedAsync(moderator, items[1]);

        Assert.Equal([false, false, true, false, false, false, false], prompts);
        var mine = await exposures.MineAsync(moderator);
        Assert.Equal(5, mine.SevereInWindow);
        Assert.Equal(1, mine.RevealedToday);
    }

    [Fact]
    public async Task Greyscale_follows_the_default_until_a_moderator_chooses_and_only_seniors_see_the_team()
    {
        var exposures = console.Service<Exposures>();
        var (account, moderator) = await console.PersonAsync(Roles.Moderator);
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        var item = (await producer.SubmitAsync(GenerationBuilder.Queued().Build())).ItemId!.Value;
        await exposures.RecordShownAsync(moderator, item, severity: 70);

        Assert.True(await exposures.PrefersGreyscaleAsync(moderator));
        await exposures.SetGreyscaleAsync(moderator, false);
        Assert.False(await exposures.PrefersGreyscaleAsync(moderator));
        Assert.True(await exposures.PrefersGreyscaleAsync(senior));

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => exposures.TeamAsync(moderator));
        var team = await exposures.TeamAsync(senior);
        Assert.Contains(team, person => person.UserId == account.Id && person.SevereToday == 1);
    }
}
