using Dapper;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using ModerationConsole.Ingest;
using ModerationConsole.Policy;
using ModerationConsole.Simulate;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Ingest;

/// <summary>The public ingest hub, driven by a real SignalR client over loopback against a real database.</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class IngestHubTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres)
{
    [Fact]
    public async Task An_accepted_item_is_stored_with_its_image_scores_route_and_audit_entry()
    {
        FlaggedGeneration item = GenerationBuilder.Queued().WithScores(("sexual", 0.6), ("violence", 0.2));

        var receipt = await producer.SubmitAsync(item);

        Assert.Equal(ReceiptStatus.Accepted, receipt.Status);
        Assert.Equal(item.GenerationId, receipt.GenerationId);
        Assert.Equal(Routes.Queued, receipt.Route);
        Assert.NotNull(receipt.ItemId);
        Assert.Null(receipt.Errors);

        await using var db = await console.OpenConnectionAsync();
        var row = await db.QuerySingleAsync<(string Status, string Queue, string Prompt, int Width)>(
            "select r.status, r.queue, r.prompt, i.width from review_items r join images i on i.sha256 = r.image_sha256 where r.id = @id",
            new { id = receipt.ItemId });
        Assert.Equal(("pending", "standard", item.Prompt!, 64), row);
        Assert.Equal(2, await db.ExecuteScalarAsync<int>("select count(*) from item_scores where item_id = @id", new { id = receipt.ItemId }));
        Assert.Equal(1, await db.ExecuteScalarAsync<int>(
            "select count(*) from audit_log where item_id = @id and action = 'item.ingested'", new { id = receipt.ItemId }));
    }

    [Fact]
    public async Task Each_item_of_a_batch_is_stored_with_its_own_scores_and_audit_entry_and_a_shared_picture_once()
    {
        var picture = SyntheticImages.Png(64, 48, seed: 4242);
        FlaggedGeneration first = GenerationBuilder.Queued().WithImage(picture).WithPrompt("first").WithScores(("sexual", 0.6));
        FlaggedGeneration second = GenerationBuilder.Queued().WithImage(picture).WithPrompt("second").WithScores(("violence", 0.3), ("hate", 0.1));
        FlaggedGeneration third = GenerationBuilder.Queued().WithImage(picture).WithPrompt("third")
            .WithScores(("self_harm", 0.2), ("sexual", 0.05), ("violence", 0.4));

        var receipts = await producer.SubmitBatchAsync([first, second, third]);

        Assert.All(receipts, r => Assert.Equal(ReceiptStatus.Accepted, r.Status));
        await using var db = await console.OpenConnectionAsync();
        foreach (var (item, receipt) in new[] { first, second, third }.Zip(receipts))
        {
            Assert.Equal(item.GenerationId, receipt.GenerationId);
            var scores = (await db.QueryAsync<(string Category, double Score)>(
                "select category, score from item_scores where item_id = @id and source = 'upstream' order by category", new { id = receipt.ItemId }))
                .ToDictionary(s => s.Category, s => Math.Round(s.Score, 3));
            Assert.Equal(item.Scores!.OrderBy(s => s.Key).ToDictionary(s => s.Key, s => s.Value), scores);
            Assert.Equal(item.GenerationId, await db.ExecuteScalarAsync<string>(
                "select details->>'generationId' from audit_log where item_id = @id and action = 'item.ingested'", new { id = receipt.ItemId }));
            Assert.Equal(item.Prompt, await db.ExecuteScalarAsync<string>("select prompt from review_items where id = @id", new { id = receipt.ItemId }));
        }
        // The three share one picture: it is stored once.
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("select count(*) from images"));
    }

    [Fact]
    public async Task Each_automatic_decision_of_a_batch_is_written_with_its_own_audit_entry_and_every_block_is_a_strike()
    {
        FlaggedGeneration[] batch =
        [
            GenerationBuilder.AutoBlocked().WithUser("repeat-offender"), GenerationBuilder.AutoApproved().WithUser("repeat-offender"),
            GenerationBuilder.Queued().WithUser("repeat-offender"), GenerationBuilder.AutoBlocked().WithUser("repeat-offender"),
            GenerationBuilder.AutoBlocked().WithUser("someone-else"), GenerationBuilder.AutoApproved().WithUser("someone-else"),
        ];

        var receipts = await producer.SubmitBatchAsync(batch);

        Assert.Equal([Routes.AutoBlocked, Routes.AutoApproved, Routes.Queued, Routes.AutoBlocked, Routes.AutoBlocked, Routes.AutoApproved],
            receipts.Select(r => r.Route));
        await using var db = await console.OpenConnectionAsync();
        var decided = receipts.Where(r => r.Route != Routes.Queued).ToList();
        var decisions = (await db.QueryAsync<(long Id, long ItemId, string Decision, bool Automated)>(
            "select id, item_id, decision, automated from decisions order by id")).ToList();
        // One decision per decided item, in the batch's order (the producer's cursor reads them by id).
        Assert.Equal(decided.Select(r => r.ItemId!.Value), decisions.Select(d => d.ItemId));
        Assert.Equal(decided.Select(r => r.Route == Routes.AutoBlocked ? "blocked" : "approved"), decisions.Select(d => d.Decision));
        Assert.All(decisions, d => Assert.True(d.Automated));
        // Each decision's audit entry names it and its own item.
        var entries = (await db.QueryAsync<(long ItemId, long DecisionId, string Decision)>(
            "select item_id, (details->>'decisionId')::bigint, details->>'decision' from audit_log where action = 'item.decided' order by id")).ToList();
        Assert.Equal(decisions.Select(d => (d.ItemId, d.Id, d.Decision)), entries);
        // A block is a strike, however many one user earns in one call.
        var strikes = (await db.QueryAsync<(string UserId, int Strikes)>("select user_id, strikes from platform_users order by user_id"))
            .ToDictionary(s => s.UserId, s => s.Strikes);
        Assert.Equal(2, strikes["repeat-offender"]);
        Assert.Equal(1, strikes["someone-else"]);
    }

    [Fact]
    public async Task Sending_the_same_generation_again_answers_duplicate_with_the_same_item_and_stores_nothing_new()
    {
        FlaggedGeneration item = GenerationBuilder.Queued();
        var first = await producer.SubmitAsync(item);
        var again = await producer.SubmitAsync(item);

        Assert.Equal(ReceiptStatus.Duplicate, again.Status);
        Assert.Equal(first.ItemId, again.ItemId);
        Assert.Equal(first.Route, again.Route);
        await using var db = await console.OpenConnectionAsync();
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("select count(*) from review_items"));
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'item.ingested'"));
    }

    [Fact]
    public async Task The_same_generation_id_from_another_producer_is_a_different_item()
    {
        FlaggedGeneration item = GenerationBuilder.Queued();
        var other = await console.ProducerAsync();
        await using var otherProducer = await ProducerClient.ConnectAsync(console.BaseAddress, other.ApiKey);

        var mine = await producer.SubmitAsync(item);
        var theirs = await otherProducer.SubmitAsync(item);

        Assert.Equal(ReceiptStatus.Accepted, theirs.Status);
        Assert.NotEqual(mine.ItemId, theirs.ItemId);
    }

    public static TheoryData<string, Func<GenerationBuilder, GenerationBuilder>> Rejections => new()
    {
        { "generationId", b => b.WithGenerationId(null) },
        { "generationId", b => b.WithGenerationId(new string('g', 129)) },
        { "userId", b => b.WithUser("") },
        { "prompt", b => b.WithPrompt(new string('p', 8001)) },
        { "createdAt", b => b.WithCreatedAt("yesterday") },
        { "image", b => b.WithImageBase64("not base64 at all!") },
        { "image", b => b.WithImage("GIF89a, not an allowed format"u8.ToArray()) },
        { "scores.sexual", b => b.WithScores(("sexual", 1.5)) },
        { "jurisdiction", b => b.WithJurisdiction("Germany") },
        { "metadata", b => b.WithMetadata(Enumerable.Range(0, 33).ToDictionary(i => $"k{i}", i => "v")) },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public async Task Each_kind_of_bad_field_is_rejected_naming_the_field_and_stores_nothing(string field, Func<GenerationBuilder, GenerationBuilder> spoil)
    {
        var receipt = await producer.SubmitAsync(spoil(GenerationBuilder.Queued()).Build());

        Assert.Equal(ReceiptStatus.Rejected, receipt.Status);
        Assert.Null(receipt.ItemId);
        Assert.Contains(receipt.Errors!, e => e.Field == field && e.Message.Length > 0);
        Assert.Equal(HubConnectionState.Connected, producer.State);
        await using var db = await console.OpenConnectionAsync();
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("select count(*) from review_items"));
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("select count(*) from images"));
    }

    [Fact]
    public async Task A_field_of_the_wrong_type_is_rejected_naming_the_field_and_the_connection_stays_up()
    {
        var wrongTypes = new { generationId = 42, userId = "u", prompt = "p", createdAt = "2026-11-24T10:00:00Z", image = "x", scores = "high" };

        var receipt = await producer.InvokeRawAsync<IngestReceipt>("Submit", wrongTypes);

        Assert.Equal(ReceiptStatus.Rejected, receipt.Status);
        Assert.Contains(receipt.Errors!, e => e.Field == "generationId");
        Assert.Contains(receipt.Errors!, e => e.Field == "scores");
        Assert.Equal(ReceiptStatus.Accepted, (await producer.SubmitAsync(GenerationBuilder.Queued().Build())).Status);
    }

    [Fact]
    public async Task A_mixed_batch_answers_in_order_and_bad_items_do_not_fail_the_good_ones()
    {
        FlaggedGeneration good1 = GenerationBuilder.Queued(), good2 = GenerationBuilder.AutoApproved();
        FlaggedGeneration bad = GenerationBuilder.Queued().WithPrompt(null);

        var receipts = await producer.SubmitBatchAsync([good1, bad, good2, good1]);

        Assert.Equal([ReceiptStatus.Accepted, ReceiptStatus.Rejected, ReceiptStatus.Accepted, ReceiptStatus.Duplicate],
            receipts.Select(r => r.Status).ToArray());
        Assert.Equal(good1.GenerationId, receipts[0].GenerationId);
        Assert.Equal(bad.GenerationId, receipts[1].GenerationId);
        Assert.Contains(receipts[1].Errors!, e => e.Field == "prompt");
        Assert.Equal(receipts[0].ItemId, receipts[3].ItemId);
        await using var db = await console.OpenConnectionAsync();
        Assert.Equal(2, await db.ExecuteScalarAsync<int>("select count(*) from review_items"));
    }

    [Fact]
    public async Task A_batch_over_the_limit_is_refused_as_a_whole_and_the_connection_stays_up()
    {
        var tooMany = Enumerable.Range(0, 501).Select(_ => (object)new { generationId = "x" }).ToArray();

        var error = await Assert.ThrowsAsync<HubException>(() => producer.SubmitBatchAsync(tooMany));

        Assert.Contains("at most 500", error.Message);
        Assert.Equal(HubConnectionState.Connected, producer.State);
    }

    [Fact]
    public async Task Automatic_decisions_are_pushed_to_the_producer()
    {
        FlaggedGeneration blocked = GenerationBuilder.AutoBlocked(), approved = GenerationBuilder.AutoApproved();
        var receipts = await producer.SubmitBatchAsync([blocked, approved]);
        Assert.Equal([Routes.AutoBlocked, Routes.AutoApproved], receipts.Select(r => r.Route).ToArray());

        var notices = new[] { await producer.NextDecisionAsync(), await producer.NextDecisionAsync() }.OrderBy(n => n.Cursor).ToList();

        Assert.Equal(blocked.GenerationId, notices[0].GenerationId);
        Assert.Equal("blocked", notices[0].Decision);
        Assert.Equal(["violence"], notices[0].Categories);
        Assert.True(notices[0].Automated);
        Assert.Contains("violence", notices[0].Reason);
        Assert.Equal(approved.GenerationId, notices[1].GenerationId);
        Assert.Equal("approved", notices[1].Decision);
        Assert.True(notices[1].Cursor > notices[0].Cursor);
    }

    [Fact]
    public async Task A_producer_only_receives_decisions_about_its_own_items()
    {
        var other = await console.ProducerAsync();
        await using var otherProducer = await ProducerClient.ConnectAsync(console.BaseAddress, other.ApiKey);

        await producer.SubmitAsync(GenerationBuilder.AutoBlocked().Build());
        await producer.NextDecisionAsync();

        await Task.Delay(300);
        Assert.False(otherProducer.TryTakeDecision(out _));
    }

    [Fact]
    public async Task An_unknown_api_key_cannot_connect()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => ProducerClient.ConnectAsync(console.BaseAddress, "mc_not-a-real-key"));
        Assert.Contains("401", error.Message);
    }
}
