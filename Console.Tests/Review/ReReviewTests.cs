using System.Net;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Review;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Review;

/// <summary>
/// A moderator's own decisions of the day, their images, and asking a senior to re-review one: one open request per
/// decision, audited, closed by the senior's confirm or overturn.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class ReReviewTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres)
{
    private ReReviews ReReviews => console.Service<ReReviews>();

    private async Task<(System.Security.Claims.ClaimsPrincipal Moderator, UserAccount Account, long DecisionId, long ItemId)> ModeratorBlocksAsync()
    {
        await producer.SubmitAsync(GenerationBuilder.Queued().WithPrompt("a <b>beach</b> photo").Build());
        var (account, moderator) = await console.PersonAsync(Roles.Moderator);
        var claim = (await console.Service<ClaimService>().ClaimNextAsync(moderator, Queues.Standard))!;
        await console.Service<ReviewActions>().BlockAsync(moderator, claim, ["sexual"], null);
        var mine = Assert.Single(await ReReviews.MineTodayAsync(moderator));
        return (moderator, account, mine.Id, claim.ItemId);
    }

    [Fact]
    public async Task A_moderator_asks_a_senior_to_look_again_and_the_seniors_confirmation_closes_the_request()
    {
        var (moderator, account, decisionId, itemId) = await ModeratorBlocksAsync();
        var (_, senior) = await console.PersonAsync(Roles.Senior);

        await ReReviews.AskAsync(moderator, decisionId, "I may have misread the swimsuit.");
        var again = await Assert.ThrowsAsync<ReviewException>(() => ReReviews.AskAsync(moderator, decisionId, "twice"));
        Assert.Contains("already waiting", again.Message);

        var waiting = Assert.Single(await ReReviews.WaitingAsync(senior));
        Assert.Equal((decisionId, itemId, account.Email, "I may have misread the swimsuit.", "blocked"),
            (waiting.DecisionId, waiting.ItemId, waiting.RequestedBy, waiting.Note, waiting.Verdict));
        Assert.True(Assert.Single(await ReReviews.MineTodayAsync(moderator)).ReReviewAsked);

        await console.Service<Overturns>().ConfirmAsync(senior, decisionId);

        Assert.Empty(await ReReviews.WaitingAsync(senior));
        Assert.Equal("confirmed", Assert.Single(await ReReviews.MineTodayAsync(moderator)).ReReviewOutcome);
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal("I may have misread the swimsuit.", await connection.ExecuteScalarAsync<string>(
            "select details->>'note' from audit_log where action = 'decision.rereview_requested' and item_id = @itemId", new { itemId }));
    }

    [Fact]
    public async Task Only_the_decider_asks_with_a_note_and_only_seniors_list_the_requests()
    {
        var (moderator, _, decisionId, _) = await ModeratorBlocksAsync();
        var (_, other) = await console.PersonAsync(Roles.Moderator);

        Assert.Contains("not one of your decisions", (await Assert.ThrowsAsync<ReviewException>(() => ReReviews.AskAsync(other, decisionId, "why"))).Message);
        Assert.StartsWith("note:", (await Assert.ThrowsAsync<ReviewException>(() => ReReviews.AskAsync(moderator, decisionId, "  "))).Message);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => ReReviews.WaitingAsync(moderator));
        Assert.Empty(await ReReviews.MineTodayAsync(other));
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from rereview_requests"));
    }

    [Fact]
    public async Task A_moderator_sees_the_images_of_their_own_decisions_and_no_one_elses()
    {
        var (_, account, _, itemId) = await ModeratorBlocksAsync();
        using var decider = await console.ClientAsync(account);
        using var other = await console.ClientAsync(Roles.Moderator);

        Assert.Equal(HttpStatusCode.OK, (await decider.GetAsync($"/review/images/{itemId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/review/images/{itemId}")).StatusCode);
    }
}
