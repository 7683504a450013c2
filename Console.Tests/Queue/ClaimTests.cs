using System.Collections.Concurrent;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Ingest;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Review;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Queue;

/// <summary>Claims and leases on a real database: who gets which item, and what happens when a lease runs out. A two-second lease lets the expiry cases run in real time.</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class ClaimTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres, "--Queue:LeaseDuration=00:00:02")
{
    private ClaimService Claims => console.Service<ClaimService>();
    private ReviewActions Actions => console.Service<ReviewActions>();

    private async Task<long> IngestAsync(GenerationBuilder item) => (await producer.SubmitAsync(item.Build())).ItemId!.Value;

    [Fact]
    public async Task The_next_item_is_the_most_severe_then_the_oldest()
    {
        var harassmentOld = await IngestAsync(new GenerationBuilder().WithScores(("harassment", 0.7)));
        var sexualOld = await IngestAsync(new GenerationBuilder().WithScores(("sexual", 0.6)));
        var selfHarm = await IngestAsync(new GenerationBuilder().WithScores(("self_harm", 0.5)));
        var sexualNew = await IngestAsync(new GenerationBuilder().WithScores(("sexual", 0.7)));
        // The moderators first, so that the four claims fit well inside the two-second lease even on a busy machine.
        var moderators = new List<System.Security.Claims.ClaimsPrincipal>();
        for (var i = 0; i < 4; i++) moderators.Add((await console.PersonAsync(Roles.Moderator)).Principal);
        var order = new List<long>();
        foreach (var moderator in moderators) order.Add((await Claims.ClaimNextAsync(moderator, Queues.Standard))!.ItemId);

        Assert.Equal([selfHarm, sexualOld, sexualNew, harassmentOld], order);
    }

    [Fact]
    public async Task Concurrent_moderators_never_hold_the_same_item()
    {
        const int items = 60, moderators = 16;
        var ids = (await producer.SubmitBatchAsync(Enumerable.Range(0, items).Select(_ => (object)GenerationBuilder.Queued().Build())))
            .Select(r => r.ItemId!.Value).ToHashSet();
        var people = new List<System.Security.Claims.ClaimsPrincipal>();
        for (var i = 0; i < moderators; i++) people.Add((await console.PersonAsync(Roles.Moderator)).Principal);
        var claimed = new ConcurrentBag<long>();

        await Parallel.ForEachAsync(people, new ParallelOptions { MaxDegreeOfParallelism = moderators }, async (moderator, ct) =>
        {
            while (await Claims.ClaimNextAsync(moderator, Queues.Standard, ct) is { } claim)
            {
                claimed.Add(claim.ItemId);
                await Actions.ApproveAsync(moderator, claim, null, ct);
            }
        });

        Assert.Equal(items, claimed.Count);
        Assert.Equal(ids, claimed.ToHashSet());
        await using var db = await console.OpenConnectionAsync();
        Assert.Equal(items, await db.ExecuteScalarAsync<int>("select count(distinct item_id) from decisions"));
        Assert.Equal(items, await db.ExecuteScalarAsync<int>("select count(*) from decisions"));
        Assert.Equal(items, await db.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'item.decided'"));
    }

    [Fact]
    public async Task A_moderator_holds_one_item_ahead_of_the_one_shown_and_gets_it_next()
    {
        var first = await IngestAsync(new GenerationBuilder().WithScores(("sexual", 0.7)));
        var second = await IngestAsync(new GenerationBuilder().WithScores(("sexual", 0.6)));
        await IngestAsync(new GenerationBuilder().WithScores(("harassment", 0.6)));
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var (_, other) = await console.PersonAsync(Roles.Moderator);

        var shown = (await Claims.ClaimNextAsync(moderator, Queues.Standard))!;
        var ahead = (await Claims.ClaimAheadAsync(moderator, Queues.Standard, shown))!;
        Assert.Equal((first, second), (shown.ItemId, ahead.ItemId));
        // Asked again, the same item ahead: never more than one.
        Assert.Equal(ahead.Token, (await Claims.ClaimAheadAsync(moderator, Queues.Standard, shown))!.Token);
        // Nobody else gets it, and once the shown item is decided it is the moderator's next.
        Assert.NotEqual(second, (await Claims.ClaimNextAsync(other, Queues.Standard))!.ItemId);
        await Actions.ApproveAsync(moderator, shown, null);
        Assert.Equal(ahead.Token, (await Claims.ClaimNextAsync(moderator, Queues.Standard))!.Token);
        Assert.Null(await Claims.ClaimAheadAsync(moderator, Queues.Standard, ahead));
    }

    [Fact]
    public async Task A_moderator_who_comes_back_gets_the_item_they_already_hold()
    {
        await IngestAsync(GenerationBuilder.Queued());
        await IngestAsync(GenerationBuilder.Queued());
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);

        var first = await Claims.ClaimNextAsync(moderator, Queues.Standard);
        var again = await Claims.ClaimNextAsync(moderator, Queues.Standard);

        Assert.Equal(first, again);
    }

    [Fact]
    public async Task An_expired_lease_returns_the_item_and_the_late_decision_is_refused()
    {
        var itemId = await IngestAsync(GenerationBuilder.Queued());
        var (_, slow) = await console.PersonAsync(Roles.Moderator);
        var (_, other) = await console.PersonAsync(Roles.Moderator);
        var lost = (await Claims.ClaimNextAsync(slow, Queues.Standard))!;
        Assert.Null(await Claims.ClaimNextAsync(other, Queues.Standard));

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var reclaimed = await Claims.ClaimNextAsync(other, Queues.Standard);
        Assert.Equal(itemId, reclaimed!.ItemId);

        var refusal = await Assert.ThrowsAsync<ReviewException>(() => Actions.BlockAsync(slow, lost, ["sexual"], null));
        Assert.Contains("not recorded", refusal.Message);
        await Actions.ApproveAsync(other, reclaimed, "fine");
        await using var db = await console.OpenConnectionAsync();
        Assert.Equal("approved", await db.ExecuteScalarAsync<string>("select decision from decisions where item_id = @itemId", new { itemId }));
    }

    [Fact]
    public async Task An_item_whose_lease_ran_out_keeps_its_place_ahead_of_less_severe_free_items()
    {
        var severe = await IngestAsync(new GenerationBuilder().WithScores(("self_harm", 0.5)));
        var (_, slow) = await console.PersonAsync(Roles.Moderator);
        Assert.Equal(severe, (await Claims.ClaimNextAsync(slow, Queues.Standard))!.ItemId);
        var mild = await IngestAsync(new GenerationBuilder().WithScores(("harassment", 0.7)));

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var (_, other) = await console.PersonAsync(Roles.Moderator);
        var (_, third) = await console.PersonAsync(Roles.Moderator);

        Assert.Equal(severe, (await Claims.ClaimNextAsync(other, Queues.Standard))!.ItemId);
        Assert.Equal(mild, (await Claims.ClaimNextAsync(third, Queues.Standard))!.ItemId);
        await using var db = await console.OpenConnectionAsync();
        Assert.Equal(3, await db.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'item.claimed'"));
    }

    [Fact]
    public async Task An_expired_lease_that_nobody_reclaimed_still_refuses_the_decision()
    {
        await IngestAsync(GenerationBuilder.Queued());
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var claim = (await Claims.ClaimNextAsync(moderator, Queues.Standard))!;

        await Task.Delay(TimeSpan.FromSeconds(2.5));

        var refusal = await Assert.ThrowsAsync<ReviewException>(() => Actions.ApproveAsync(moderator, claim, null));
        Assert.Contains("expired", refusal.Message);
    }

    [Fact]
    public async Task Renewing_keeps_the_lease_alive()
    {
        await IngestAsync(GenerationBuilder.Queued());
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var claim = (await Claims.ClaimNextAsync(moderator, Queues.Standard))!;

        for (var i = 0; i < 3; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            claim = (await Claims.RenewAsync(moderator, claim))!;
            Assert.NotNull(claim);
        }

        await Actions.ApproveAsync(moderator, claim, null);
    }

    [Fact]
    public async Task An_item_decided_once_cannot_be_decided_again()
    {
        await IngestAsync(GenerationBuilder.Queued());
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var claim = (await Claims.ClaimNextAsync(moderator, Queues.Standard))!;
        await Actions.BlockAsync(moderator, claim, ["sexual"], "clear violation");

        var refusal = await Assert.ThrowsAsync<ReviewException>(() => Actions.ApproveAsync(moderator, claim, null));

        Assert.Contains("already decided", refusal.Message);
    }

    [Fact]
    public async Task A_block_needs_a_known_policy_category()
    {
        await IngestAsync(GenerationBuilder.Queued());
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var claim = (await Claims.ClaimNextAsync(moderator, Queues.Standard))!;

        await Assert.ThrowsAsync<ReviewException>(() => Actions.BlockAsync(moderator, claim, [], null));
        var unknown = await Assert.ThrowsAsync<ReviewException>(() => Actions.BlockAsync(moderator, claim, ["nonsense"], null));
        Assert.Contains("nonsense", unknown.Message);
    }

    [Fact]
    public async Task A_human_block_is_pushed_to_the_producer_and_gives_the_user_a_strike()
    {
        FlaggedGeneration item = GenerationBuilder.Queued().WithUser("repeat-offender");
        await producer.SubmitAsync(item);
        var (account, moderator) = await console.PersonAsync(Roles.Moderator);
        var claim = (await Claims.ClaimNextAsync(moderator, Queues.Standard))!;

        await Actions.BlockAsync(moderator, claim, ["sexual", "real_person"], "internal note");

        var notice = await producer.NextDecisionAsync();
        Assert.Equal(item.GenerationId, notice.GenerationId);
        Assert.Equal("blocked", notice.Decision);
        Assert.Equal(["sexual", "real_person"], notice.Categories);
        Assert.False(notice.Automated);
        Assert.DoesNotContain("internal note", notice.Reason);
        await using var db = await console.OpenConnectionAsync();
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("select strikes from platform_users where user_id = 'repeat-offender'"));
        Assert.Equal(account.Id, await db.ExecuteScalarAsync<long>("select decided_by from decisions where item_id = @ItemId", claim));
    }

    [Fact]
    public async Task Escalating_moves_the_item_to_seniors_and_moderators_cannot_work_that_queue()
    {
        var itemId = await IngestAsync(GenerationBuilder.Queued());
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        var claim = (await Claims.ClaimNextAsync(moderator, Queues.Standard))!;

        await Actions.EscalateAsync(moderator, claim, "looks like a minor");

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Claims.ClaimNextAsync(moderator, Queues.Escalation));
        var seniorClaim = await Claims.ClaimNextAsync(senior, Queues.Escalation);
        Assert.Equal(itemId, seniorClaim!.ItemId);
        await Actions.BlockAsync(senior, seniorClaim, ["sexual_minors"], null);
    }

    [Fact]
    public async Task Routing_puts_sexual_minors_straight_on_the_escalation_queue()
    {
        var itemId = await IngestAsync(GenerationBuilder.Escalated());
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var (_, senior) = await console.PersonAsync(Roles.Senior);

        Assert.Null(await Claims.ClaimNextAsync(moderator, Queues.Standard));
        Assert.Equal(itemId, (await Claims.ClaimNextAsync(senior, Queues.Escalation))!.ItemId);
    }

    [Theory]
    [InlineData(Roles.Auditor)]
    [InlineData(Roles.Moderator)]
    public async Task Roles_without_escalation_rights_cannot_claim_escalations(string role)
    {
        var (_, person) = await console.PersonAsync(role);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Claims.ClaimNextAsync(person, Queues.Escalation));
    }

    [Fact]
    public async Task Auditors_cannot_claim_anything()
    {
        await IngestAsync(GenerationBuilder.Queued());
        var (_, auditor) = await console.PersonAsync(Roles.Auditor);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Claims.ClaimNextAsync(auditor, Queues.Standard));
    }

    [Fact]
    public async Task Releasing_hands_the_item_back_at_once()
    {
        var itemId = await IngestAsync(GenerationBuilder.Queued());
        var (_, first) = await console.PersonAsync(Roles.Moderator);
        var (_, second) = await console.PersonAsync(Roles.Moderator);
        var claim = (await Claims.ClaimNextAsync(first, Queues.Standard))!;

        await Claims.ReleaseAsync(first, claim);

        Assert.Equal(itemId, (await Claims.ClaimNextAsync(second, Queues.Standard))!.ItemId);
    }
}
