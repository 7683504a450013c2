using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Review;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Review;

/// <summary>Seniors overturn decisions: a new decision naming the old one, seen by the producer, with strikes following.</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class OverturnTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres)
{
    private Overturns Overturns => console.Service<Overturns>();

    /// <summary>A moderator blocks one queued item; returns the decision id.</summary>
    private async Task<long> ModeratorBlocksAsync()
    {
        await producer.SubmitAsync(GenerationBuilder.Queued().WithUser("user-7").Build());
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var claim = (await console.Service<ClaimService>().ClaimNextAsync(moderator, Queues.Standard))!;
        await console.Service<ReviewActions>().BlockAsync(moderator, claim, ["sexual"], null);
        await using var connection = await console.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("select max(id) from decisions");
    }

    [Fact]
    public async Task A_senior_overturning_a_block_approves_the_item_lifts_the_strike_and_tells_the_producer()
    {
        var blocked = await ModeratorBlocksAsync();
        var (_, senior) = await console.PersonAsync(Roles.Senior);

        var approval = await Overturns.OverturnAsync(senior, blocked, "approved", [], "Fully clothed; the classifier misread a swimsuit.");

        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(blocked, await connection.ExecuteScalarAsync<long>("select overturns from decisions where id = @approval", new { approval }));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select strikes from platform_users where user_id = 'user-7'"));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "select count(*) from audit_log where action = 'decision.overturned' and (details->>'overturns')::bigint = @blocked", new { blocked }));

        using var http = new HttpClient { BaseAddress = console.BaseAddress };
        http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        var feed = await http.GetFromJsonAsync<JsonElement>($"/api/v1/decisions?after={blocked}");
        var notice = Assert.Single(feed.GetProperty("decisions").EnumerateArray());
        Assert.Equal("approved", notice.GetProperty("decision").GetString());
        Assert.Equal(approval, notice.GetProperty("cursor").GetInt64());
        Assert.Equal(blocked, notice.GetProperty("overturns").GetInt64());
    }

    [Fact]
    public async Task Only_seniors_and_admins_overturn_and_a_reason_is_required()
    {
        var blocked = await ModeratorBlocksAsync();
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var (_, auditor) = await console.PersonAsync(Roles.Auditor);
        var (_, senior) = await console.PersonAsync(Roles.Senior);

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Overturns.OverturnAsync(moderator, blocked, "approved", [], "no"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Overturns.OverturnAsync(auditor, blocked, "approved", [], "no"));
        var noNote = await Assert.ThrowsAsync<ReviewException>(() => Overturns.OverturnAsync(senior, blocked, "approved", [], "  "));
        Assert.StartsWith("note:", noNote.Message);

        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from decisions"));
    }

    [Fact]
    public async Task A_decision_is_overturned_once_and_an_overturn_that_changes_nothing_is_refused()
    {
        var blocked = await ModeratorBlocksAsync();
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        var (_, admin) = await console.PersonAsync(Roles.Admin);

        var same = await Assert.ThrowsAsync<ReviewException>(() => Overturns.OverturnAsync(senior, blocked, "blocked", ["sexual"], "same"));
        var replacement = await Overturns.OverturnAsync(senior, blocked, "blocked", ["sexual", "real_person"], "Also a real person's likeness.");
        var twice = await Assert.ThrowsAsync<ReviewException>(() => Overturns.OverturnAsync(admin, blocked, "approved", [], "again"));
        await Overturns.OverturnAsync(admin, replacement, "approved", [], "Consent on file for this likeness.");

        Assert.Contains("same as the one", same.Message);
        Assert.Contains($"already overturned by decision {replacement}", twice.Message);
        await using var connection = await console.OpenConnectionAsync();
        // Still one strike after block → block with other categories; none after the final approval.
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select strikes from platform_users where user_id = 'user-7'"));
        Assert.Equal(3, await connection.ExecuteScalarAsync<int>("select count(*) from decisions"));
    }
}
