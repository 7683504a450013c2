using System.Net;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Cases;
using ModerationConsole.Ingest;
using ModerationConsole.Policy;
using ModerationConsole.Tests.Hashing;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Cases;

/// <summary>
/// When cases open: a confirmed child-safety block opens one (held a year, its image banked), later blocks of the user
/// join it within the wave window, and only specialists see what it holds. People open other cases by hand.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class CaseOpeningTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres)
{
    [Fact]
    public async Task A_seniors_child_safety_block_opens_a_case_held_for_a_year_and_banks_the_image_so_a_reupload_is_blocked()
    {
        var itemId = await console.ConfirmedChildSafetyBlockAsync(producer, "user-cs", pictureSeed: 301);

        var caseId = await console.CaseOfAsync(itemId);

        Assert.NotNull(caseId);
        await using var connection = await console.OpenConnectionAsync();
        var opened = await connection.QuerySingleAsync<(string Kind, string Status, string UserId, long? OpenedBy)>(
            "select kind, status, user_id, opened_by from cases where id = @caseId", new { caseId });
        Assert.Equal((CaseKinds.ChildSafety, CaseStatuses.Draft, "user-cs", (long?)null), opened);
        var holdEnds = await connection.ExecuteScalarAsync<DateTime>("select ends_at from legal_holds where case_id = @caseId and released_at is null", new { caseId });
        Assert.True(holdEnds > DateTime.UtcNow.AddDays(364), $"the hold ends {holdEnds:u}");
        Assert.Equal("child_safety", await connection.ExecuteScalarAsync<string>("select bank from block_bank where item_id = @itemId", new { itemId }));
        Assert.Equal(new[] { "case.item_added", "case.opened", "hold.placed" },
            (await connection.QueryAsync<string>("select action from audit_log where (details ->> 'caseId')::bigint = @caseId order by action", new { caseId })).ToArray());

        using var picture = TestPictures.Draw(seed: 301);
        var reupload = await producer.SubmitAsync(GenerationBuilder.Queued().WithUser("someone-else").WithImage(TestPictures.Jpeg(picture, 70)).Build());
        Assert.Equal(Routes.AutoBlocked, reupload.Route);
    }

    [Fact]
    public async Task Blocks_of_one_user_within_the_wave_window_join_one_case_and_a_later_block_opens_the_next()
    {
        var first = await console.ConfirmedChildSafetyBlockAsync(producer, "user-wave", pictureSeed: 311);
        var caseId = await console.CaseOfAsync(first);
        var second = await console.ConfirmedChildSafetyBlockAsync(producer, "user-wave", pictureSeed: 312);
        Assert.Equal(caseId, await console.CaseOfAsync(second));
        var otherUser = await console.ConfirmedChildSafetyBlockAsync(producer, "user-other", pictureSeed: 313);
        Assert.NotEqual(caseId, await console.CaseOfAsync(otherUser));

        // The wave's latest item joined longer ago than the window (24 hours by default).
        await using var connection = await console.OpenConnectionAsync();
        await connection.ExecuteAsync("update cases set last_item_at = now() - interval '25 hours' where id = @caseId", new { caseId });
        var later = await console.ConfirmedChildSafetyBlockAsync(producer, "user-wave", pictureSeed: 314);
        var nextCase = await console.CaseOfAsync(later);

        Assert.NotNull(nextCase);
        Assert.NotEqual(caseId, nextCase);
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>("select count(*) from case_items where case_id = @caseId", new { caseId }));
    }

    [Fact]
    public async Task A_case_joined_only_while_a_draft_a_prepared_report_gets_a_new_case_for_the_next_block()
    {
        var first = await console.ConfirmedChildSafetyBlockAsync(producer, "user-ready", pictureSeed: 321);
        var caseId = (await console.CaseOfAsync(first))!.Value;
        var (_, specialist) = await console.PersonAsync(Roles.Specialist);
        await console.Service<CaseStore>().MarkReadyAsync(specialist, caseId);

        var next = await console.ConfirmedChildSafetyBlockAsync(producer, "user-ready", pictureSeed: 322);

        Assert.NotEqual(caseId, await console.CaseOfAsync(next));
    }

    [Fact]
    public async Task A_moderators_block_in_the_standard_queue_opens_no_case()
    {
        await producer.SubmitAsync(GenerationBuilder.Queued().WithUser("user-mod").Build());
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var claim = (await console.Service<ModerationConsole.Queue.ClaimService>().ClaimNextAsync(moderator, Queues.Standard))!;
        await console.Service<ModerationConsole.Review.ReviewActions>().BlockAsync(moderator, claim, ["sexual_minors"], null);

        Assert.Null(await console.CaseOfAsync(claim.ItemId));
    }

    [Fact]
    public async Task Only_specialists_see_a_child_safety_case_its_images_and_its_place_in_the_list()
    {
        var itemId = await console.ConfirmedChildSafetyBlockAsync(producer, "user-see", pictureSeed: 331);
        var caseId = (await console.CaseOfAsync(itemId))!.Value;
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        var (_, specialist) = await console.PersonAsync(Roles.Specialist);
        var cases = console.Service<CaseStore>();

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => cases.ReadAsync(senior, caseId));
        Assert.DoesNotContain(await cases.ListAsync(senior, includeClosed: true), c => c.Id == caseId);
        var detail = await cases.ReadAsync(specialist, caseId);
        Assert.Equal(itemId, Assert.Single(detail!.Items).ItemId);
        Assert.Contains(await cases.ListAsync(specialist, includeClosed: false), c => c.Id == caseId);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => cases.OpenAsync(senior, CaseKinds.ChildSafety, itemId, "no"));

        using var seniorHttp = await console.ClientAsync(Roles.Senior);
        using var specialistHttp = await console.ClientAsync(Roles.Specialist);
        Assert.Equal(HttpStatusCode.NotFound, (await seniorHttp.GetAsync($"/review/images/{itemId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await specialistHttp.GetAsync($"/review/images/{itemId}")).StatusCode);
    }

    [Fact]
    public async Task A_senior_opens_a_case_by_hand_adds_items_and_notes_and_closing_seals_it()
    {
        var first = await producer.SubmitAsync(GenerationBuilder.AutoBlocked().WithUser("user-ncii").Build());
        var second = await producer.SubmitAsync(GenerationBuilder.AutoBlocked().WithUser("user-ncii").Build());
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        var cases = console.Service<CaseStore>();

        var blank = await Assert.ThrowsAsync<CaseException>(() => cases.OpenAsync(senior, CaseKinds.Ncii, first.ItemId!.Value, " "));
        Assert.StartsWith("summary:", blank.Message);
        var wrongKind = await Assert.ThrowsAsync<CaseException>(() => cases.OpenAsync(senior, "gossip", first.ItemId!.Value, "x"));
        Assert.StartsWith("kind:", wrongKind.Message);
        var caseId = await cases.OpenAsync(senior, CaseKinds.Ncii, first.ItemId!.Value, "The person depicted wrote to legal@.");
        await cases.AddItemAsync(senior, caseId, second.ItemId!.Value);
        await cases.AddNoteAsync(senior, caseId, "Asked the producer for the account's e-mail history.");
        await cases.CloseAsync(senior, caseId, "Both images blocked and banked.");

        var detail = (await cases.ReadAsync(senior, caseId))!;
        Assert.Equal(CaseStatuses.Closed, detail.Status);
        Assert.Equal(2, detail.Items.Count);
        Assert.NotNull(detail.SealedAt);
        Assert.Contains(detail.Timeline, e => e.Action == CaseAuditActions.Sealed);
        Assert.Equal("Asked the producer for the account's e-mail history.", Assert.Single(detail.Notes).Note);
        var late = await Assert.ThrowsAsync<CaseException>(() => cases.AddItemAsync(senior, caseId, first.ItemId!.Value));
        Assert.Contains("only while it is a draft", late.Message);
    }
}
