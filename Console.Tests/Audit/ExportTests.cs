using System.Net;
using System.Text.Json;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Ingest;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Audit;

/// <summary>Auditors' downloads, checked against the database they came from.</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class ExportTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestConsole console = null!;

    public async ValueTask InitializeAsync()
    {
        console = await TestConsole.StartAsync(postgres);
        var producer = await console.ProducerAsync("image-platform");
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey);
        var receipts = await client.SubmitBatchAsync(
        [
            GenerationBuilder.AutoBlocked().WithJurisdiction("FR").Build(),
            GenerationBuilder.AutoBlocked().WithUser("=HYPERLINK(\"http://evil.example\")").Build(),
            GenerationBuilder.AutoApproved().Build(),
            GenerationBuilder.Queued().Build(),
        ]);
        Assert.All(receipts, r => Assert.Equal(ReceiptStatus.Accepted, r.Status));
    }

    public async ValueTask DisposeAsync() => await console.DisposeAsync();

    [Fact]
    public async Task The_decisions_export_holds_every_decision_in_the_database()
    {
        using var auditor = await console.ClientAsync(Roles.Auditor);

        var json = await auditor.GetStringAsync("/audit/export/decisions.json");
        var csv = await auditor.GetStringAsync("/audit/export/decisions.csv");

        await using var connection = await console.OpenConnectionAsync();
        var expected = (await connection.QueryAsync<(long Id, string Decision)>("select id, decision from decisions order by id")).ToList();
        var exported = JsonDocument.Parse(json).RootElement.EnumerateArray()
            .Select(d => (d.GetProperty("id").GetInt64(), d.GetProperty("decision").GetString()!)).ToList();
        Assert.Equal(expected, exported);
        var lines = csv.TrimEnd().Split('\n');
        Assert.StartsWith("decision_id,decided_at,decision,categories", lines[0]);
        Assert.Equal(expected.Count + 1, lines.Length);
        Assert.Equal(expected.Select(e => e.Id.ToString()), lines.Skip(1).Select(l => l.Split(',')[0]));
    }

    [Fact]
    public async Task A_platform_user_id_that_looks_like_a_formula_is_escaped_in_csv()
    {
        using var auditor = await console.ClientAsync(Roles.Auditor);

        var csv = await auditor.GetStringAsync("/audit/export/decisions.csv");

        var cells = csv.Split('\n').Single(l => l.Contains("HYPERLINK")).Split(',');
        Assert.DoesNotContain(cells, cell => cell.TrimStart('"').StartsWith('='));
    }

    [Fact]
    public async Task Filters_narrow_the_export_and_a_bad_filter_is_refused_naming_the_field()
    {
        using var auditor = await console.ClientAsync(Roles.Auditor);

        var france = JsonDocument.Parse(await auditor.GetStringAsync("/audit/export/decisions.json?jurisdiction=fr")).RootElement;
        var badFrom = await auditor.GetAsync("/audit/export/decisions.json?from=last%20tuesday");
        var badDecision = await auditor.GetAsync("/audit/export/decisions.csv?decision=maybe");

        Assert.Equal("FR", Assert.Single(france.EnumerateArray()).GetProperty("jurisdiction").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, badFrom.StatusCode);
        Assert.Contains("\"field\":\"from\"", await badFrom.Content.ReadAsStringAsync());
        Assert.Contains("\"field\":\"decision\"", await badDecision.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Statements_of_reasons_follow_the_dsa_transparency_database_layout_for_each_block()
    {
        using var auditor = await console.ClientAsync(Roles.Auditor);

        var statements = JsonDocument.Parse(await auditor.GetStringAsync("/audit/export/statements-of-reasons.json")).RootElement;

        await using var connection = await console.OpenConnectionAsync();
        var blocked = (await connection.QueryAsync<long>("select id from decisions where decision = 'blocked' order by id")).ToList();
        Assert.Equal(blocked.Select(id => $"moderation-console-decision-{id}"),
            statements.EnumerateArray().Select(s => s.GetProperty("puid").GetString()));
        var first = statements[0];
        Assert.Equal("STATEMENT_CATEGORY_VIOLENCE", first.GetProperty("category").GetString());
        Assert.Equal("DECISION_GROUND_INCOMPATIBLE_CONTENT", first.GetProperty("decision_ground").GetString());
        Assert.Equal("AUTOMATED_DECISION_FULLY", first.GetProperty("automated_decision").GetString());
        Assert.Equal(["DECISION_VISIBILITY_CONTENT_REMOVED"], first.GetProperty("decision_visibility").EnumerateArray().Select(v => v.GetString()));
        Assert.Contains("DE", first.GetProperty("territorial_scope").EnumerateArray().Select(v => v.GetString()));
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}$", first.GetProperty("application_date").GetString());
    }

    [Fact]
    public async Task Every_export_is_audited_with_who_asked_and_for_what()
    {
        using var auditor = await console.ClientAsync(Roles.Auditor);

        await auditor.GetStringAsync("/audit/export/audit-log.csv?action=item.ingested");

        await using var connection = await console.OpenConnectionAsync();
        var details = await connection.QuerySingleAsync<string>(
            "select details::text from audit_log where action = 'export.downloaded' and actor_kind = 'user'");
        Assert.Contains("\"kind\": \"audit-log\"", details);
        Assert.Contains("item.ingested", details);
    }

    [Theory]
    [InlineData(Roles.Moderator)]
    [InlineData(Roles.Senior)]
    public async Task People_who_are_not_auditors_or_admins_get_no_export(string role)
    {
        using var person = await console.ClientAsync(role);
        using var anonymous = new HttpClient { BaseAddress = console.BaseAddress };

        Assert.Equal(HttpStatusCode.Forbidden, (await person.GetAsync("/audit/export/decisions.csv")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/audit/export/decisions.csv")).StatusCode);
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'export.downloaded'"));
    }
}
