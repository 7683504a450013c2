using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Ingest;
using ModerationConsole.Policy;
using ModerationConsole.Removals;
using ModerationConsole.Tests.Hashing;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Removals;

/// <summary>
/// Removal requests: the producer relays one and gets its deadline; bad input names each field and stores nothing;
/// acting blocks every item (overturning an approval), banks them in the victim bank so edits are blocked at ingest, and
/// answers the requester through the producer; reminders and the overdue list follow the clock.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class RemovalRequestTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres)
{
    private HttpClient Api() => ProducerClient.Http(console.BaseAddress, apiKey);

    private static object Request(string requestId, string ground, params string[] generationIds) => new
    {
        requestId, requesterKind = "victim", requesterName = "A. Person", contact = "a.person@example.test", ground,
        details = "These are pictures of me that I never agreed to.", generationIds,
    };

    [Fact]
    public async Task A_request_gets_the_deadline_of_its_ground_and_sending_it_again_answers_the_same_receipt()
    {
        var item = GenerationBuilder.Queued().Build();
        await producer.SubmitAsync(item);
        using var http = Api();

        var ncii = await (await http.PostAsJsonAsync("/api/v1/removal-requests", Request("rr-1", "ncii", item.GenerationId!))).Content.ReadFromJsonAsync<JsonElement>();
        var copyright = await (await http.PostAsJsonAsync("/api/v1/removal-requests", Request("rr-2", "copyright", item.GenerationId!))).Content.ReadFromJsonAsync<JsonElement>();
        var again = await (await http.PostAsJsonAsync("/api/v1/removal-requests", Request("rr-1", "ncii", item.GenerationId!))).Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(TimeSpan.FromHours(48), ncii.GetProperty("dueAt").GetDateTimeOffset() - ncii.GetProperty("receivedAt").GetDateTimeOffset());
        Assert.Equal(TimeSpan.FromDays(7), copyright.GetProperty("dueAt").GetDateTimeOffset() - copyright.GetProperty("receivedAt").GetDateTimeOffset());
        Assert.Equal("duplicate", again.GetProperty("status").GetString());
        Assert.Equal(ncii.GetProperty("id").GetInt64(), again.GetProperty("id").GetInt64());
        var status = await http.GetFromJsonAsync<JsonElement>("/api/v1/removal-requests/rr-1");
        Assert.Equal("open", status.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/v1/removal-requests/no-such-request")).StatusCode);
    }

    [Fact]
    public async Task Bad_input_names_every_field_and_stores_nothing()
    {
        var item = GenerationBuilder.Queued().Build();
        await producer.SubmitAsync(item);
        using var http = Api();

        var response = await http.PostAsJsonAsync("/api/v1/removal-requests", new
        {
            requestId = "rr-bad", requesterKind = "journalist", contact = "", ground = "gossip", generationIds = new[] { item.GenerationId, "never-sent" },
        });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var fields = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").EnumerateArray()
            .Select(e => e.GetProperty("field").GetString()).ToArray();
        Assert.Equal(["requesterKind", "ground", "contact"], fields);
        var unknown = await http.PostAsJsonAsync("/api/v1/removal-requests", Request("rr-unknown", "ncii", item.GenerationId!, "never-sent"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.StatusCode);
        Assert.Contains("generationIds[1]", await unknown.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsync("/api/v1/removal-requests", new StringContent("{", System.Text.Encoding.UTF8, "application/json"))).StatusCode);
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from removal_requests"));
    }

    [Fact]
    public async Task Acting_blocks_every_item_overturns_an_approval_banks_them_in_the_victim_bank_and_answers_through_the_producer()
    {
        using var picture = TestPictures.Draw(seed: 601);
        var pending = GenerationBuilder.Queued().WithUser("user-ncii").WithImage(TestPictures.Png(picture)).Build();
        using var other = TestPictures.Draw(seed: 602);
        var approved = GenerationBuilder.AutoApproved().WithUser("user-ncii").WithImage(TestPictures.Png(other)).Build();
        var pendingReceipt = await producer.SubmitAsync(pending);
        var approvedReceipt = await producer.SubmitAsync(approved);
        using var http = Api();
        var receipt = await (await http.PostAsJsonAsync("/api/v1/removal-requests", Request("rr-act", "ncii", pending.GenerationId!, approved.GenerationId!)))
            .Content.ReadFromJsonAsync<JsonElement>();
        var id = receipt.GetProperty("id").GetInt64();
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        var removals = console.Service<RemovalActions>();

        var noAnswer = await Assert.ThrowsAsync<RemovalException>(() => removals.ActAsync(senior, id, ["sexual"], " "));
        Assert.StartsWith("answer:", noAnswer.Message);
        var blocked = await removals.ActAsync(senior, id, ["sexual", "real_person"], "Removed and blocked from being generated again.");

        Assert.Equal(2, blocked);
        await using var connection = await console.OpenConnectionAsync();
        var decisions = (await connection.QueryAsync<(long ItemId, string Decision, long? Overturns)>(
            "select item_id, decision, overturns from decisions where decided_by is not null order by item_id")).ToList();
        Assert.Equal([(pendingReceipt.ItemId!.Value, "blocked", (long?)null), (approvedReceipt.ItemId!.Value, "blocked",
            await connection.ExecuteScalarAsync<long?>("select id from decisions where item_id = @ItemId and automated", approvedReceipt))], decisions);
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>("select count(*) from block_bank where bank = 'victim'"));
        var status = await http.GetFromJsonAsync<JsonElement>("/api/v1/removal-requests/rr-act");
        Assert.Equal("actioned", status.GetProperty("status").GetString());
        Assert.Equal("Removed and blocked from being generated again.", status.GetProperty("answer").GetString());
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'removal.actioned'"));

        var edit = await producer.SubmitAsync(GenerationBuilder.Queued().WithUser("someone-else").WithImage(TestPictures.Jpeg(TestPictures.Resize(picture, 0.7), 65)).Build());
        Assert.Equal(Routes.AutoBlocked, edit.Route);
        var twice = await Assert.ThrowsAsync<RemovalException>(() => removals.DeclineAsync(senior, id, "no"));
        Assert.Contains("already actioned", twice.Message);

        var report = await console.Service<ModerationConsole.Audit.Reports.TransparencyReports>()
            .ForAsync(new ModerationConsole.Audit.Reports.ReportPeriod(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)));
        Assert.Equal((1L, 1L, 0L, 0L), (report.Legal.RemovalRequests, report.Legal.RemovalRequestsActioned, report.Legal.RemovalRequestsDeclined,
            report.Legal.RemovalRequestsOverdueWhenAnswered));
        Assert.NotNull(report.Legal.MedianHoursToRemove);
    }

    [Fact]
    public async Task Reminders_come_at_half_and_nine_tenths_of_the_time_and_a_late_request_is_listed_overdue()
    {
        var item = GenerationBuilder.Queued().Build();
        await producer.SubmitAsync(item);
        using var http = Api();
        foreach (var requestId in new[] { "rr-fresh", "rr-half", "rr-late", "rr-over" })
            await http.PostAsJsonAsync("/api/v1/removal-requests", Request(requestId, "ncii", item.GenerationId!));
        await using var connection = await console.OpenConnectionAsync();
        // 48 hours each: 30 h used is over half, 45 h over nine tenths, 50 h past the deadline.
        await connection.ExecuteAsync(
            """
            update removal_requests set received_at = now() - make_interval(hours => h), due_at = now() - make_interval(hours => h) + interval '48 hours'
            from (values ('rr-half', 30), ('rr-late', 45), ('rr-over', 50)) as v (external_id, h) where removal_requests.external_id = v.external_id
            """);

        Assert.Equal(5, await console.Service<RemovalReminders>().RemindAsync());
        Assert.Equal(0, await console.Service<RemovalReminders>().RemindAsync());

        var reminded = (await connection.QueryAsync<(string Id, bool Half, bool Late)>(
            "select external_id, reminded_half_at is not null, reminded_late_at is not null from removal_requests order by external_id")).ToList();
        Assert.Equal([("rr-fresh", false, false), ("rr-half", true, false), ("rr-late", true, true), ("rr-over", true, true)], reminded);
        var overdue = await console.Service<RemovalActions>().OverdueAsync();
        Assert.Equal("rr-over", Assert.Single(overdue).ExternalId);
        Assert.Equal(5, await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'removal.reminder'"));
    }

    [Fact]
    public async Task Staff_enter_a_request_received_by_mail_with_errors_naming_the_field()
    {
        var receipt = await producer.SubmitAsync(GenerationBuilder.Queued().Build());
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        var intake = console.Service<RemovalIntake>();
        var producerId = (await console.Service<ModerationConsole.Producers.ProducerStore>().ListAsync())[0].Id;

        var bad = await Assert.ThrowsAsync<FieldErrorsException>(() =>
            intake.EnterAsync(senior, producerId, "victim", null, "post: 1 Main St", "likeness", null, "12x, #abc", null));
        Assert.Equal(["itemIds", "itemIds"], bad.Errors.Select(e => e.Field));
        var missing = await Assert.ThrowsAsync<FieldErrorsException>(() =>
            intake.EnterAsync(senior, producerId, "victim", null, "post: 1 Main St", "likeness", null, "999999", null));
        Assert.Contains("no item 999999", missing.Message);
        var id = await intake.EnterAsync(senior, producerId, "representative", "Counsel LLP", "counsel@example.test", "likeness", null, $"#{receipt.ItemId}", null);

        var request = await console.Service<RemovalActions>().ReadAsync(senior, id);
        Assert.Equal("console", request!.ReceivedVia);
        Assert.Equal([receipt.ItemId!.Value], request.ItemIds);
        Assert.Equal(TimeSpan.FromDays(3), request.DueAt - request.ReceivedAt);
    }
}
