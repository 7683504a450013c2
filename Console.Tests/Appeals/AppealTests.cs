using System.Net;
using System.Net.Http.Json;
using Dapper;
using Microsoft.AspNetCore.SignalR;
using ModerationConsole.Accounts;
using ModerationConsole.Appeals;
using ModerationConsole.Decisions;
using ModerationConsole.Enforcement;
using ModerationConsole.Tests.Enforcement;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Appeals;

/// <summary>
/// Appeals (DSA Art. 20) end to end: the producer submits for its user over HTTP or the hub, within the window, once
/// per decision, idempotently; someone other than the original decider reviews it from the appeals queue; an overturn
/// reverses the decision, lifts the strike and what the ladder no longer holds, and the platform is told.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class AppealTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestConsole console = null!;

    public async ValueTask InitializeAsync() => console = await TestConsole.StartAsync(postgres);

    public async ValueTask DisposeAsync() => await console.DisposeAsync();

    [Fact]
    public async Task An_appeal_is_received_once_resubmitting_its_id_is_harmless_and_a_second_appeal_of_the_decision_is_refused()
    {
        var producer = await console.ProducerAsync();
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey);
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var decision = await console.DecisionOfAsync(await console.BlockOneAsync(client, moderator, "hana"));
        using var http = ProducerClient.Http(console.BaseAddress, producer.ApiKey);
        var appeal = new { appealId = "ap-1", userId = "hana", decisionCursor = decision, statement = "It is a statue.", language = "es" };

        var first = await (await http.PostAsJsonAsync("/api/v1/appeals", appeal)).Content.ReadFromJsonAsync<AppealReceipt>();
        var again = await (await http.PostAsJsonAsync("/api/v1/appeals", appeal)).Content.ReadFromJsonAsync<AppealReceipt>();

        Assert.Equal("received", first!.Status);
        Assert.Equal(("duplicate", first.DueAt), (again!.Status, again.DueAt));
        Assert.InRange(first.DueAt - first.ReceivedAt, TimeSpan.FromHours(71.9), TimeSpan.FromHours(72.1));
        var second = await http.PostAsJsonAsync("/api/v1/appeals", appeal with { appealId = "ap-2" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, second.StatusCode);
        Assert.Contains("was appealed already (appeal ap-1)", await second.Content.ReadAsStringAsync());
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from appeals"));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'appeal.received'"));
    }

    [Fact]
    public async Task Bad_appeals_are_refused_naming_each_field_and_nothing_is_stored()
    {
        var producer = await console.ProducerAsync();
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey);
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var blocked = await console.DecisionOfAsync(await console.BlockOneAsync(client, moderator, "ivan"));
        var approvedItem = (await client.SubmitAsync(GenerationBuilder.AutoApproved().WithUser("ivan").Build())).ItemId!.Value;
        var approved = await console.DecisionOfAsync(approvedItem);
        using var http = ProducerClient.Http(console.BaseAddress, producer.ApiKey);

        async Task<string> RefusedAsync(object body, HttpStatusCode status = HttpStatusCode.UnprocessableEntity)
        {
            var response = await http.PostAsJsonAsync("/api/v1/appeals", body);
            Assert.Equal(status, response.StatusCode);
            return await response.Content.ReadAsStringAsync();
        }

        var empty = await RefusedAsync(new { });
        foreach (var field in new[] { "appealId", "userId", "decisionCursor", "statement" }) Assert.Contains($"\"field\":\"{field}\"", empty);
        Assert.Contains("at most 5000 characters", await RefusedAsync(new { appealId = "a", userId = "ivan", decisionCursor = blocked, statement = new string('x', 5001) }));
        Assert.Contains("\"field\":\"language\"", await RefusedAsync(new { appealId = "a", userId = "ivan", decisionCursor = blocked, statement = "s", language = "not a language" }));
        Assert.Contains("there is nothing to appeal", await RefusedAsync(new { appealId = "a", userId = "ivan", decisionCursor = approved, statement = "s" }));
        Assert.Contains("no decision", await RefusedAsync(new { appealId = "a", userId = "someone-else", decisionCursor = blocked, statement = "s" }));
        Assert.Contains("\"field\":\"decisionCursor\"", await RefusedAsync(new { appealId = "a", userId = "ivan", decisionCursor = "seven", statement = "s" }, HttpStatusCode.BadRequest));
        await using (var owner = await console.OpenOwnerConnectionAsync())
            await owner.ExecuteAsync("update decisions set decided_at = now() - interval '200 days' where id = @blocked", new { blocked });
        Assert.Contains("the appeal window of 183 days after the decision has closed",
            await RefusedAsync(new { appealId = "a", userId = "ivan", decisionCursor = blocked, statement = "s" }));

        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from appeals"));
    }

    [Fact]
    public async Task Another_senior_overturns_on_appeal_the_restriction_is_lifted_and_the_platform_told_over_messagepack()
    {
        var producer = await console.ProducerAsync();
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey, messagePack: true);
        var (_, decider) = await console.PersonAsync(Roles.Senior);
        var (_, reviewer) = await console.PersonAsync(Roles.Senior);
        var items = new List<long>();
        for (var i = 0; i < 3; i++) items.Add(await console.BlockOneAsync(client, decider, "jo", language: "fr"));
        await client.NextUserNoticeAsync();
        var restricted = await client.NextUserNoticeAsync();
        Assert.Equal("restrict", restricted.Enforcement!.Action);
        var appealed = await console.DecisionOfAsync(items[2]);

        var receipt = await client.SubmitAppealAsync(new AppealRequest
        {
            AppealId = "jo-1", UserId = "jo", DecisionCursor = appealed, Statement = "C'est une photo de ma propre œuvre.", Language = "fr",
        });
        Assert.Equal("received", receipt.Status);
        var refused = await Assert.ThrowsAsync<HubException>(() => client.SubmitAppealAsync(new AppealRequest { AppealId = "x", UserId = "jo" }));
        Assert.Contains("statement: is required", refused.Message);

        var queue = console.Service<AppealQueue>();
        Assert.Null(await queue.ClaimNextAsync(decider));
        var claimed = await queue.ClaimNextAsync(reviewer);
        Assert.Equal(("jo-1", "C'est une photo de ma propre œuvre.", "blocked"), (claimed!.AppealId, claimed.Statement, claimed.Decision));
        await console.Service<AppealDecisions>().DecideAsync(reviewer, claimed.Id, claimed.ClaimToken!.Value, AppealOutcomes.Overturned, "Own artwork.");

        var overturn = await client.NextDecisionAsync();
        while (overturn.Overturns is null) overturn = await client.NextDecisionAsync(); // the three blocks' own notices come first
        Assert.Equal(("approved", appealed), (overturn.Decision, overturn.Overturns));
        var notices = new[] { await client.NextUserNoticeAsync(), await client.NextUserNoticeAsync() };
        Assert.Equal(["enforcement_lifted", "appeal_decided"], notices.Select(n => n.Kind));
        Assert.Equal(restricted.Enforcement.EnforcementId, notices[0].Enforcement!.EnforcementId);
        Assert.Equal(("overturned", overturn.Cursor), (notices[1].Appeal!.Outcome, notices[1].Appeal!.NewDecisionCursor));
        Assert.Equal("Votre appel a abouti", notices[1].Statement.Title);
        var standing = await console.Service<StandingReader>().StandingAsync(producer.Producer.Id, "jo");
        Assert.Equal(("warned", 2), (standing.Status, standing.ActiveStrikeWeight));
        await Assert.ThrowsAsync<EnforcementException>(() =>
            console.Service<AppealDecisions>().DecideAsync(reviewer, claimed.Id, claimed.ClaimToken!.Value, AppealOutcomes.Upheld, "again"));

        var report = await console.Service<ModerationConsole.Audit.Reports.TransparencyReports>()
            .ForAsync(new ModerationConsole.Audit.Reports.ReportPeriod(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)));
        Assert.Equal((1, 1, 0), (report.Complaints.Received, report.Complaints.Overturned, report.Complaints.Pending));
        Assert.Equal(["decision:sexual 1"], report.ComplaintsByBasis.Select(b => $"{b.Key} {b.Count}"));
        Assert.Contains(report.AccountActions, a => a.Key == "restrict" && a.Count == 1);
    }

    [Fact]
    public async Task The_same_appeal_sent_twice_at_once_is_stored_once()
    {
        var producer = await console.ProducerAsync();
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey);
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var decision = await console.DecisionOfAsync(await console.BlockOneAsync(client, moderator, "max"));
        var intake = console.Service<AppealIntake>();

        var receipts = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => intake.SubmitAsync(producer.Producer.Id,
            new AppealRequest { AppealId = "m1", UserId = "max", DecisionCursor = decision, Statement = "twice" })));

        Assert.Equal(1, receipts.Count(r => r.Status == "received"));
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from appeals"));
    }

    [Fact]
    public async Task Modifying_on_appeal_keeps_the_block_for_other_categories_and_upholding_changes_nothing()
    {
        var producer = await console.ProducerAsync();
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey);
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        var first = await console.DecisionOfAsync(await console.BlockOneAsync(client, moderator, "kim"));
        var second = await console.DecisionOfAsync(await console.BlockOneAsync(client, moderator, "kim"));
        var intake = console.Service<AppealIntake>();
        await intake.SubmitAsync(producer.Producer.Id, new AppealRequest { AppealId = "k1", UserId = "kim", DecisionCursor = first, Statement = "not sexual" });
        await intake.SubmitAsync(producer.Producer.Id, new AppealRequest { AppealId = "k2", UserId = "kim", DecisionCursor = second, Statement = "please" });
        var queue = console.Service<AppealQueue>();
        var decisions = console.Service<AppealDecisions>();

        var a = (await queue.ClaimNextAsync(senior))!;
        var noCategories = await Assert.ThrowsAsync<EnforcementException>(() => decisions.DecideAsync(senior, a.Id, a.ClaimToken!.Value, AppealOutcomes.Modified, "x", []));
        Assert.StartsWith("categories:", noCategories.Message);
        await decisions.DecideAsync(senior, a.Id, a.ClaimToken!.Value, AppealOutcomes.Modified, "It is violent, not sexual.", ["violence"]);
        var b = (await queue.ClaimNextAsync(senior))!;
        await decisions.DecideAsync(senior, b.Id, b.ClaimToken!.Value, AppealOutcomes.Upheld, "Clearly sexual.");

        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(["blocked violence", "blocked sexual"], await connection.QueryAsync<string>(
            """
            select d.decision || ' ' || array_to_string(d.categories, ',') from decisions d
            where d.item_id in (select item_id from decisions where id in (@first, @second))
              and not exists (select 1 from decisions o where o.overturns = d.id) order by d.item_id
            """, new { first, second }));
        Assert.Equal(2, (await console.Service<StandingReader>().StandingAsync(producer.Producer.Id, "kim")).ActiveStrikeWeight);
        Assert.Equal(["modified", "upheld"], await connection.QueryAsync<string>("select outcome from appeals order by id"));
        Assert.Null(await queue.ClaimNextAsync(senior));
    }
}
