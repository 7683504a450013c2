using System.Net;
using System.Net.Http.Json;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Enforcement;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Review;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Enforcement;

/// <summary>
/// The enforcement ladder against a real PostgreSQL and the real hub: strikes add up to warnings, restrictions,
/// suspensions and bans in the decision's own transaction; the platform is told each change on the hub and the notices
/// feed, in the user's language; overturns lift what no longer holds; expired strikes stop counting.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class EnforcementLadderTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestConsole console = null!;

    public async ValueTask InitializeAsync() => console = await TestConsole.StartAsync(postgres);

    public async ValueTask DisposeAsync() => await console.DisposeAsync();

    [Fact]
    public async Task The_first_block_warns_the_third_restricts_and_the_platform_hears_each_in_the_users_language()
    {
        var producer = await console.ProducerAsync();
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey);
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);

        await console.BlockOneAsync(client, moderator, "anna", language: "de-AT");
        var warned = await client.NextUserNoticeAsync();
        Assert.Equal(("anna", "enforcement_applied", "warn"), (warned.UserId, warned.Kind, warned.Enforcement!.Action));
        Assert.Equal("de", warned.Statement.Language);
        Assert.Equal("Eine Verwarnung zu Ihrem Konto", warned.Statement.Title);
        Assert.Contains("sexual content that the platform does not allow", warned.Statement.Ground);
        Assert.True(warned.Statement.Automated, "the ladder, not a person, decided the warning");
        Assert.NotNull(warned.Statement.Redress.AppealUntil);

        await console.BlockOneAsync(client, moderator, "anna");
        await console.BlockOneAsync(client, moderator, "anna");
        var restricted = await client.NextUserNoticeAsync();
        Assert.Equal("restrict", restricted.Enforcement!.Action);
        Assert.Equal(["photoreal_people", "adult", "image_edit"], restricted.Enforcement.Features);
        Assert.InRange(restricted.Enforcement.EndsAt!.Value - restricted.Enforcement.StartsAt!.Value, TimeSpan.FromHours(167.9), TimeSpan.FromHours(168.1));
        Assert.Equal(3, restricted.Statement.Facts.DecisionCursors.Count);
        Assert.Equal(3, restricted.Statement.Facts.StrikeWeight);
        Assert.Contains("photoreal_people, adult, image_edit", restricted.Statement.Text);

        using var http = ProducerClient.Http(console.BaseAddress, producer.ApiKey);
        var standing = await http.GetFromJsonAsync<UserStanding>("/api/v1/users/anna/standing");
        Assert.Equal(("restricted", 3), (standing!.Status, standing.ActiveStrikeWeight));
        Assert.Equal(["adult", "image_edit", "photoreal_people"], standing.RestrictedFeatures);

        var feed = await http.GetFromJsonAsync<UserNoticePage>("/api/v1/notices?after=0");
        Assert.Equal([warned.Cursor, restricted.Cursor], feed!.Notices.Select(n => n.Cursor));
        var rest = await http.GetFromJsonAsync<UserNoticePage>($"/api/v1/notices?after={feed.Cursor}");
        Assert.Empty(rest!.Notices);
        Assert.Equal(feed.Cursor, rest.Cursor);

        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'enforcement.applied'"));
    }

    [Fact]
    public async Task A_block_that_reaches_a_rung_writes_it_in_its_own_round_trip_as_a_transaction_would()
    {
        var producer = await console.ProducerAsync();
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey);
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var hints = console.Service<LadderHints>();

        await console.BlockOneAsync(client, moderator, "ines", language: "de");
        var warned = await client.NextUserNoticeAsync();
        var items = new[] { await console.BlockOneAsync(client, moderator, "ines"), await console.BlockOneAsync(client, moderator, "ines") };
        var restricted = await client.NextUserNoticeAsync();
        Assert.Equal((1, 0), (hints.ActionsInBatch, hints.Retries)); // the warning read the templates in a transaction; the restriction needed none

        await using var connection = await console.OpenConnectionAsync();
        var row = await connection.QuerySingleAsync<(long Id, long DecisionId, string Reason, DateTime StartsAt, DateTime EndsAt)>(
            "select id, decision_id, reason, starts_at, ends_at from enforcements where action = 'restrict'");
        Assert.Equal(await console.DecisionOfAsync(items[1]), row.DecisionId);
        Assert.Equal("Active strike weight 3 reached the ladder's step at 3.", row.Reason);
        Assert.Equal((row.Id, row.StartsAt, row.EndsAt),
            (restricted.Enforcement!.EnforcementId, restricted.Enforcement.StartsAt!.Value.UtcDateTime, restricted.Enforcement.EndsAt!.Value.UtcDateTime));
        Assert.Equal(("de", 3), (restricted.Statement.Language, restricted.Statement.Facts.StrikeWeight));
        Assert.Equal([.. warned.Statement.Facts.DecisionCursors, await console.DecisionOfAsync(items[0]), row.DecisionId],
            restricted.Statement.Facts.DecisionCursors);
        var audit = await connection.QuerySingleAsync<string>("select details::text from audit_log where details->>'enforcementId' = @id",
            new { id = row.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        using var details = System.Text.Json.JsonDocument.Parse(audit);
        Assert.Equal((row.DecisionId, 3, row.Reason, "restrict"), (details.RootElement.GetProperty("decisionId").GetInt64(),
            details.RootElement.GetProperty("strikeWeight").GetInt32(), details.RootElement.GetProperty("reason").GetString(),
            details.RootElement.GetProperty("action").GetString()));
    }

    [Fact]
    public async Task A_notice_follows_the_users_new_language_and_an_admins_new_wording_at_once()
    {
        var producer = await console.ProducerAsync();
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey);
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var (_, admin) = await console.PersonAsync(Roles.Admin);
        var hints = console.Service<LadderHints>();

        await console.BlockOneAsync(client, moderator, "joe");
        Assert.Equal("en", (await client.NextUserNoticeAsync()).Statement.Language);
        await console.BlockOneAsync(client, moderator, "joe", language: "es");
        await console.BlockOneAsync(client, moderator, "joe");
        var restricted = await client.NextUserNoticeAsync();
        Assert.Equal(("restrict", "es"), (restricted.Enforcement!.Action, restricted.Statement.Language));

        await console.Service<NoticeTemplates>().SaveAsync(admin, "suspend", "", "es", "Cuenta suspendida", "Suspendida hasta el {until}.");
        await console.BlockOneAsync(client, moderator, "joe");
        await console.BlockOneAsync(client, moderator, "joe");
        var suspended = await client.NextUserNoticeAsync();
        Assert.Equal(("suspend", "Cuenta suspendida"), (suspended.Enforcement!.Action, suspended.Statement.Title));
        Assert.Equal(2, hints.Retries); // each change was caught by the block's own batch and written again in a transaction
    }

    [Fact]
    public async Task An_overturn_lifts_the_strike_and_the_restriction_it_no_longer_reaches_and_tells_the_platform()
    {
        var producer = await console.ProducerAsync();
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey);
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        var items = new List<long>();
        for (var i = 0; i < 3; i++) items.Add(await console.BlockOneAsync(client, moderator, "bob"));
        await client.NextUserNoticeAsync(); // warned
        var restricted = await client.NextUserNoticeAsync();

        await console.Service<Overturns>().OverturnAsync(senior, await console.DecisionOfAsync(items[1]), "approved", [], "a classical painting");

        var lifted = await client.NextUserNoticeAsync();
        Assert.Equal(("enforcement_lifted", restricted.Enforcement!.EnforcementId, "lifted"), (lifted.Kind, lifted.Enforcement!.EnforcementId, lifted.Enforcement.State));
        Assert.Null(lifted.Statement.Redress.AppealUntil);
        var standing = await console.Service<StandingReader>().StandingAsync(producer.Producer.Id, "bob");
        Assert.Equal(("warned", 2), (standing.Status, standing.ActiveStrikeWeight));
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from strikes where user_id = 'bob' and lifted_at is not null"));
    }

    [Fact]
    public async Task Expired_strikes_no_longer_count_towards_the_next_rung()
    {
        var producer = await console.ProducerAsync();
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey);
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        await console.BlockOneAsync(client, moderator, "carl");
        await console.BlockOneAsync(client, moderator, "carl");
        await using (var owner = await console.OpenOwnerConnectionAsync())
            await owner.ExecuteAsync("update strikes set expires_at = now() - interval '1 day' where user_id = 'carl'");

        await console.BlockOneAsync(client, moderator, "carl");

        var standing = await console.Service<StandingReader>().StandingAsync(producer.Producer.Id, "carl");
        Assert.Equal(("warned", 1), (standing.Status, standing.ActiveStrikeWeight));
    }

    [Fact]
    public async Task Two_blocks_of_one_user_at_once_give_one_consistent_standing()
    {
        var producer = await console.ProducerAsync();
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey);
        var (admin, _) = await console.PersonAsync(Roles.Admin);
        var policy = (await console.Service<PolicyStore>().LoadActiveAsync()).Document;
        await console.Service<PolicyStore>().ActivateAsync(policy with
        {
            Enforcement = policy.Enforcement with { Steps = [new() { Threshold = 1, Action = "warn" }, new() { Threshold = 2, Action = "suspend", DurationHours = 24 }] },
        }, "two rungs", admin.Id);
        var moderators = new[] { (await console.PersonAsync(Roles.Moderator)).Principal, (await console.PersonAsync(Roles.Moderator)).Principal };

        for (var round = 0; round < 4; round++)
        {
            var user = $"racer-{round}";
            await client.SubmitBatchAsync([GenerationBuilder.Queued().WithUser(user).Build(), GenerationBuilder.Queued().WithUser(user).Build()]);
            var claims = new[]
            {
                (await console.Service<ClaimService>().ClaimNextAsync(moderators[0], Queues.Standard))!,
                (await console.Service<ClaimService>().ClaimNextAsync(moderators[1], Queues.Standard))!,
            };
            await Task.WhenAll(claims.Select((claim, i) => console.Service<ReviewActions>().BlockAsync(moderators[i], claim, ["sexual"], null)));

            await using var connection = await console.OpenConnectionAsync();
            var actions = (await connection.QueryAsync<string>(
                "select action from enforcements where user_id = @user and state = 'active' order by id", new { user })).ToList();
            Assert.Equal(["warn", "suspend"], actions);
        }
    }

    [Fact]
    public async Task A_senior_confirming_sexual_minors_bans_at_once_and_a_proposal_waits_for_a_senior()
    {
        var producer = await console.ProducerAsync();
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey);
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);

        await console.BlockOneAsync(client, senior, "dora", "sexual_minors", Queues.Escalation);
        var banned = await client.NextUserNoticeAsync();
        Assert.Equal(("ban", null), (banned.Enforcement!.Action, banned.Enforcement.EndsAt));

        // real_person weighs 2: four blocks reach the ban rung at 8, which the default ladder only proposes.
        for (var i = 0; i < 4; i++) await console.BlockOneAsync(client, moderator, "emil", "real_person");
        await using var connection = await console.OpenConnectionAsync();
        var proposal = await connection.QuerySingleAsync<(long Id, string State)>(
            "select id, state from enforcements where user_id = 'emil' and action = 'ban'");
        Assert.Equal("proposed", proposal.State);
        Assert.Equal("suspended", (await console.Service<StandingReader>().StandingAsync(producer.Producer.Id, "emil")).Status);
        var noticesBefore = await connection.ExecuteScalarAsync<int>("select count(*) from user_notices where user_id = 'emil'");

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<AccountActions>().ConfirmAsync(moderator, proposal.Id, null));
        await console.Service<AccountActions>().ConfirmAsync(senior, proposal.Id, "four likeness abuses in a week");

        Assert.Equal("banned", (await console.Service<StandingReader>().StandingAsync(producer.Producer.Id, "emil")).Status);
        Assert.Equal(noticesBefore + 1, await connection.ExecuteScalarAsync<int>("select count(*) from user_notices where user_id = 'emil'"));
        var error = await Assert.ThrowsAsync<EnforcementException>(() => console.Service<AccountActions>().ConfirmAsync(senior, proposal.Id, null));
        Assert.StartsWith("enforcement:", error.Message);
    }

    [Fact]
    public async Task People_act_by_hand_within_their_role_with_a_reason_and_lifting_early_is_audited()
    {
        var producer = await console.ProducerAsync();
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        var actions = console.Service<AccountActions>();

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() =>
            actions.ApplyAsync(moderator, producer.Producer.Id, "fred", new ManualAction("suspend", [], null, 24, "spam")));
        var noReason = await Assert.ThrowsAsync<EnforcementException>(() =>
            actions.ApplyAsync(moderator, producer.Producer.Id, "fred", new ManualAction("warn", [], null, null, " ")));
        Assert.StartsWith("reason:", noReason.Message);
        var noFeatures = await Assert.ThrowsAsync<EnforcementException>(() =>
            actions.ApplyAsync(moderator, producer.Producer.Id, "fred", new ManualAction("restrict", [], null, 24, "too many")));
        Assert.Contains("a restriction names features or an hourlyQuota", noFeatures.Message);

        var id = await actions.ApplyAsync(moderator, producer.Producer.Id, "fred", new ManualAction("restrict", ["image_edit"], 10, 48, "edits of real people"));
        Assert.Equal("restricted", (await console.Service<StandingReader>().StandingAsync(producer.Producer.Id, "fred")).Status);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => actions.LiftAsync(moderator, id, "changed my mind"));
        await actions.LiftAsync(senior, id, "the user showed the edits were their own photos");

        Assert.Equal("ok", (await console.Service<StandingReader>().StandingAsync(producer.Producer.Id, "fred")).Status);
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(["enforcement.applied", "enforcement.lifted"], await connection.QueryAsync<string>(
            "select action from audit_log where action like 'enforcement.%' order by id"));
        Assert.Equal(["enforcement_applied", "enforcement_lifted"], await connection.QueryAsync<string>(
            "select kind from user_notices where user_id = 'fred' order by id"));
    }

    [Fact]
    public async Task The_notices_feed_refuses_bad_cursors_naming_the_field()
    {
        var producer = await console.ProducerAsync();
        using var http = ProducerClient.Http(console.BaseAddress, producer.ApiKey);

        var response = await http.GetAsync("/api/v1/notices?after=-1&limit=5000");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"field\":\"after\"", body);
        Assert.Contains("\"field\":\"limit\"", body);
    }

    [Fact]
    public async Task An_admins_wording_is_what_the_next_notice_says()
    {
        var producer = await console.ProducerAsync();
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey);
        var (_, admin) = await console.PersonAsync(Roles.Admin);
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var templates = console.Service<NoticeTemplates>();
        await Assert.ThrowsAsync<ArgumentException>(() => templates.SaveAsync(admin, "warn", "", "fr", "Attention", "Jusqu'au {jusqua}"));
        await templates.SaveAsync(admin, "warn", "", "fr", "Attention", "Votre image a été retirée. Appel possible jusqu'au {appealUntil}.");

        await console.BlockOneAsync(client, moderator, "gil", language: "fr");

        var notice = await client.NextUserNoticeAsync();
        Assert.Equal("Attention", notice.Statement.Title);
        Assert.StartsWith("Votre image a été retirée. Appel possible jusqu'au ", notice.Statement.Text);
        Assert.DoesNotContain("{", notice.Statement.Text);
    }
}
