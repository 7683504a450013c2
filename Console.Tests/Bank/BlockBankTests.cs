using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Bank;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Review;
using ModerationConsole.Tests.Hashing;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Bank;

/// <summary>The block bank on a real database: banking from a block, blocking near copies on arrival, imports and removal.</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class BlockBankTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres)
{
    /// <summary>A moderator blocks a queued picture and banks it; returns the bank entry.</summary>
    private async Task<long> BlockAndBankAsync(byte[] picture)
    {
        await producer.SubmitAsync(GenerationBuilder.Queued().WithUser("abuser").WithImage(picture).Build());
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var claim = (await console.Service<ClaimService>().ClaimNextAsync(moderator, Queues.Standard))!;
        var outcome = await console.Service<ReviewActions>().DecideAsync(moderator, claim,
            ReviewDecision.Block(["sexual"], null) with { AddToBank = true });
        return outcome.BankEntryId ?? throw new InvalidOperationException("not banked");
    }

    [Fact]
    public async Task A_banked_image_blocks_its_edited_copies_on_arrival_and_the_audit_entry_names_the_match()
    {
        using var picture = TestPictures.Draw(seed: 41);
        var entry = await BlockAndBankAsync(TestPictures.Png(picture));

        using var smaller = TestPictures.Resize(picture, 0.6);
        var copy = await producer.SubmitAsync(GenerationBuilder.Queued().WithUser("someone-else").WithImage(TestPictures.Jpeg(smaller, 60)).Build());
        using var other = TestPictures.Draw(seed: 42);
        var unrelated = await producer.SubmitAsync(GenerationBuilder.Queued().WithImage(TestPictures.Png(other)).Build());

        Assert.Equal(Routes.AutoBlocked, copy.Route);
        Assert.Equal(Routes.Queued, unrelated.Route);
        await using var connection = await console.OpenConnectionAsync();
        var audit = await connection.QuerySingleAsync<(long Entry, int Distance)>(
            """
            select (details->'bankMatch'->>'entry')::bigint, (details->'bankMatch'->>'distance')::int
            from audit_log where action = 'item.ingested' and item_id = @ItemId
            """, new { copy.ItemId });
        Assert.Equal(entry, audit.Entry);
        Assert.InRange(audit.Distance, 0, 31);
        Assert.Contains($"bank entry #{entry}", await connection.ExecuteScalarAsync<string>(
            "select note from decisions where item_id = @ItemId", new { copy.ItemId }));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'bank.added'"));
    }

    [Fact]
    public async Task A_removed_entry_stops_blocking_and_its_removal_is_audited()
    {
        using var picture = TestPictures.Draw(seed: 43);
        var entry = await BlockAndBankAsync(TestPictures.Png(picture));
        var (_, senior) = await console.PersonAsync(Roles.Senior);

        await console.Service<BankAdministration>().RemoveAsync(senior, entry, "Blocked a harmless meme by mistake.");

        var copy = await producer.SubmitAsync(GenerationBuilder.Queued().WithImage(TestPictures.Jpeg(picture, 80)).Build());
        Assert.Equal(Routes.Queued, copy.Route);
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'bank.removed'"));
        await Assert.ThrowsAsync<BankException>(() => console.Service<BankAdministration>().RemoveAsync(senior, entry, "again"));
    }

    [Fact]
    public async Task Another_console_on_the_same_database_matches_an_entry_banked_here()
    {
        using var picture = TestPictures.Draw(seed: 44);
        await BlockAndBankAsync(TestPictures.Png(picture));

        await using var second = await TestConsole.StartOnAsync(console.ConnectionString);
        await using var secondProducer = await ProducerClient.ConnectAsync(second.BaseAddress, (await second.ProducerAsync("second")).ApiKey);
        var copy = await secondProducer.SubmitAsync(GenerationBuilder.Queued().WithImage(TestPictures.Jpeg(picture, 70)).Build());

        Assert.Equal(Routes.AutoBlocked, copy.Route);
    }

    [Fact]
    public async Task An_import_with_a_bad_line_names_it_and_imports_nothing_and_a_good_one_blocks_on_arrival()
    {
        using var picture = TestPictures.Draw(seed: 45);
        var hash = ModerationConsole.Hashing.ImageFingerprint.TryHash(TestPictures.Png(picture))!.Value.Hash;
        var (_, admin) = await console.PersonAsync(Roles.Admin);
        var bank = console.Service<BankAdministration>();

        var refused = await Assert.ThrowsAsync<BankImportException>(() =>
            bank.ImportAsync(admin, $"# shared list\n{hash}\nnot-a-hash\n", ["sexual"], "industry list"));
        Assert.Equal(3, Assert.Single(refused.Problems).Line);
        await using (var connection = await console.OpenConnectionAsync())
            Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from block_bank"));

        Assert.Equal(1, await bank.ImportAsync(admin, $"{hash},100,label\n{hash}\n", ["sexual"], "industry list"));
        var copy = await producer.SubmitAsync(GenerationBuilder.Queued().WithImage(TestPictures.Jpeg(picture, 75)).Build());
        Assert.Equal(Routes.AutoBlocked, copy.Route);
        await using var check = await console.OpenConnectionAsync();
        Assert.Equal(["sexual"], await check.QuerySingleAsync<string[]>("select categories from decisions where item_id = @ItemId", new { copy.ItemId }));
    }

    [Fact]
    public async Task Moderators_and_auditors_cannot_import_or_remove()
    {
        var bank = console.Service<BankAdministration>();
        foreach (var role in new[] { Roles.Moderator, Roles.Auditor })
        {
            var (_, person) = await console.PersonAsync(role);
            await Assert.ThrowsAsync<UnauthorizedAccessException>(() => bank.ImportAsync(person, new string('0', 64), ["sexual"], null));
            await Assert.ThrowsAsync<UnauthorizedAccessException>(() => bank.RemoveAsync(person, 1, "no"));
        }
    }

    [Fact]
    public async Task A_plain_image_is_not_banked_and_the_block_is_not_recorded_either()
    {
        using var flat = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(200, 150, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Premul));
        flat.Erase(new SkiaSharp.SKColor(200, 180, 170)); // one colour: PDQ quality 0
        await producer.SubmitAsync(GenerationBuilder.Queued().WithImage(TestPictures.Png(flat)).Build());
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var claim = (await console.Service<ClaimService>().ClaimNextAsync(moderator, Queues.Standard))!;

        var refusal = await Assert.ThrowsAsync<ReviewException>(() => console.Service<ReviewActions>().DecideAsync(moderator, claim,
            ReviewDecision.Block(["sexual"], null) with { AddToBank = true }));

        Assert.Contains("too plain", refusal.Message);
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal("pending", await connection.ExecuteScalarAsync<string>("select status from review_items where id = @ItemId", claim));
    }
}
