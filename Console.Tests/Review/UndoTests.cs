using System.Net.Http.Json;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Ingest;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Review;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Review;

/// <summary>
/// A moderator's approve or block waits out a short undo window: audited at once, sent to the producer and counted
/// against the user only when the window ends, exactly once, also across a restart; an undo in the window sends nothing
/// and gives the item back.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class UndoTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres, Window)
{
    private const string Window = "--Queue:UndoWindow=00:00:02";
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(3.5);

    private async Task<(System.Security.Claims.ClaimsPrincipal Moderator, ItemClaim Claim, DecisionOutcome Outcome)> ModeratorBlocksAsync(string user = "user-1")
    {
        await producer.SubmitAsync(GenerationBuilder.Queued().WithUser(user).Build());
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var claim = (await console.Service<ClaimService>().ClaimNextAsync(moderator, Queues.Standard))!;
        var outcome = await console.Service<ReviewActions>().BlockAsync(moderator, claim, ["sexual"], null);
        return (moderator, claim, outcome);
    }

    private async Task<T> ScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = await console.OpenConnectionAsync();
        return (await connection.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    [Fact]
    public async Task A_block_reaches_the_producer_and_the_users_strikes_only_when_its_window_ends()
    {
        var decidedBefore = DateTimeOffset.UtcNow;
        var (_, claim, outcome) = await ModeratorBlocksAsync();

        Assert.NotNull(outcome.UndoUntil);
        Assert.Equal(0, await ScalarAsync<int>("select count(*) from decisions"));
        Assert.Equal(0, await ScalarAsync<int>("select count(*) from strikes"));
        Assert.Equal("decided", await ScalarAsync<string>("select status from review_items where id = @ItemId", claim));
        Assert.Equal(1, await ScalarAsync<int>("select count(*) from audit_log where action = 'item.decision_held' and item_id = @ItemId", claim));

        var notice = await producer.NextDecisionAsync();
        Assert.Equal(("blocked", claim.ItemId), (notice.Decision, notice.ItemId));
        Assert.True(DateTimeOffset.UtcNow >= outcome.UndoUntil, "sent before the window ended");
        // The decision keeps the moment the moderator decided, not the moment it was sent.
        Assert.InRange(notice.DecidedAt, decidedBefore.AddSeconds(-1), outcome.UndoUntil!.Value.AddSeconds(-1));
        Assert.Equal(1, await ScalarAsync<int>("select count(*) from strikes where user_id = 'user-1'"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => producer.NextDecisionAsync(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task An_undo_in_the_window_sends_nothing_and_gives_the_item_back_to_the_moderator()
    {
        var (moderator, claim, _) = await ModeratorBlocksAsync();

        var again = await console.Service<HeldDecisions>().UndoAsync(moderator, claim.ItemId);

        Assert.Equal(claim.ItemId, again.ItemId);
        Assert.NotEqual(claim.Token, again.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => producer.NextDecisionAsync(Quiet));
        Assert.Equal(0, await ScalarAsync<int>("select count(*) from decisions"));
        Assert.Equal(0, await ScalarAsync<int>("select count(*) from strikes"));
        Assert.Equal(1, await ScalarAsync<int>("select count(*) from audit_log where action = 'item.decision_undone' and item_id = @ItemId", claim));

        // The moderator decides it again with the claim the undo gave back; that one is sent.
        await console.Service<ReviewActions>().ApproveAsync(moderator, again, null);
        Assert.Equal("approved", (await producer.NextDecisionAsync()).Decision);
    }

    [Fact]
    public async Task After_the_window_an_undo_is_refused_and_only_the_decider_may_undo()
    {
        var (moderator, claim, _) = await ModeratorBlocksAsync();
        var (_, other) = await console.PersonAsync(Roles.Moderator);
        var held = console.Service<HeldDecisions>();

        Assert.Contains("no decision of yours", (await Assert.ThrowsAsync<ReviewException>(() => held.UndoAsync(other, claim.ItemId))).Message);
        await producer.NextDecisionAsync();

        var late = await Assert.ThrowsAsync<ReviewException>(() => held.UndoAsync(moderator, claim.ItemId));
        Assert.Contains("Too late to undo", late.Message);
        Assert.Equal(1, await ScalarAsync<int>("select count(*) from decisions"));
    }

    [Fact]
    public async Task A_decision_held_when_the_console_stops_is_sent_exactly_once_by_the_next_one()
    {
        var (_, claim, _) = await ModeratorBlocksAsync();
        var connectionString = console.ConnectionString;
        await producer.DisposeAsync();
        await console.DisposeAsync();
        Assert.Equal(1, await CountAsync(connectionString, "select count(*) from held_decisions"));

        console = await TestConsole.StartOnAsync(connectionString, Window);
        producer = await ProducerClient.ConnectAsync(console.BaseAddress, apiKey);

        await Eventually.TrueAsync(async () => await ScalarAsync<int>("select count(*) from decisions") == 1);
        using var http = new HttpClient { BaseAddress = console.BaseAddress };
        http.DefaultRequestHeaders.Add(ModerationConsole.Producers.ApiKeys.HeaderName, apiKey);
        await Task.Delay(TimeSpan.FromSeconds(1));
        var page = await http.GetFromJsonAsync<DecisionPage>("/api/v1/decisions?after=0");
        Assert.Equal(claim.ItemId, Assert.Single(page!.Decisions).ItemId);
        Assert.Equal(0, await ScalarAsync<int>("select count(*) from held_decisions"));
    }

    private static async Task<int> CountAsync(string connectionString, string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        return await connection.ExecuteScalarAsync<int>(sql);
    }
}
