using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Review;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Review;

/// <summary>Internal notes on an item: who may write and read them, and that each is audited with its text.</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class ItemNotesTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres)
{
    private ItemNotes Notes => console.Service<ItemNotes>();

    [Fact]
    public async Task The_moderator_holding_an_item_notes_it_and_seniors_and_auditors_read_the_thread()
    {
        await producer.SubmitAsync(GenerationBuilder.Queued().WithUser("user-3").Build());
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        var (_, auditor) = await console.PersonAsync(Roles.Auditor);
        var claim = (await console.Service<ClaimService>().ClaimNextAsync(moderator, Queues.Standard))!;

        await Notes.AddAsync(moderator, claim.ItemId, "  Same user posted this three times today <b>bold</b>.  ");
        await Notes.AddAsync(senior, claim.ItemId, "Watching this account.");

        var thread = await Notes.ListAsync(auditor, claim.ItemId);
        Assert.Equal(["Same user posted this three times today <b>bold</b>.", "Watching this account."], thread.Select(n => n.Body));
        Assert.Equal(thread, await Notes.ListAsync(moderator, claim.ItemId));
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(["Same user posted this three times today <b>bold</b>.", "Watching this account."], await connection.QueryAsync<string>(
            "select details->>'body' from audit_log where action = 'item.note_added' and item_id = @ItemId order by id", claim));
    }

    [Fact]
    public async Task A_moderator_may_not_note_an_item_they_neither_hold_nor_decided_and_auditors_never_write()
    {
        var itemId = (await producer.SubmitAsync(GenerationBuilder.Queued().Build())).ItemId!.Value;
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var (_, auditor) = await console.PersonAsync(Roles.Auditor);

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Notes.AddAsync(moderator, itemId, "not mine"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Notes.ListAsync(moderator, itemId));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Notes.AddAsync(auditor, itemId, "auditors read"));
        var empty = await Assert.ThrowsAsync<ReviewException>(() => Notes.AddAsync(moderator, itemId, "   "));
        Assert.Equal("Write the note first.", empty.Message);
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        var tooLong = await Assert.ThrowsAsync<ReviewException>(() => Notes.AddAsync(senior, itemId, new string('x', ItemNotes.MaxLength + 1)));
        Assert.Contains($"at most {ItemNotes.MaxLength} characters", tooLong.Message);

        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from item_notes"));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'item.note_added'"));
    }

    [Fact]
    public async Task The_item_page_reads_every_score_with_whether_its_source_routes()
    {
        var itemId = (await producer.SubmitAsync(GenerationBuilder.Queued().WithScores(("sexual", 0.7)).Build())).ItemId!.Value;
        await using (var connection = await console.OpenConnectionAsync())
            await connection.ExecuteAsync("insert into item_scores (item_id, source, category, score) values (@itemId, 'retired@1', 'sexual', 0.2)", new { itemId });

        var history = (await console.Service<ItemHistoryReader>().ReadAsync(itemId))!;

        Assert.Equal([("upstream", true), ("retired@1", false)], history.Scores.Select(s => (s.Source, s.Routes)));
        Assert.Equal(0.7, history.Scores[0].Scores.Single(s => s.Category == "sexual").Score, 3);
        Assert.Equal(["sexual"], history.Item.RouteCategories);
    }
}
