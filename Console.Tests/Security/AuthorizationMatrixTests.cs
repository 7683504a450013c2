using System.Net;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Jobs;
using ModerationConsole.Policy;
using ModerationConsole.Producers;
using ModerationConsole.Scoring;
using ModerationConsole.Scoring.Training;
using ModerationConsole.Queue;
using ModerationConsole.Review;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Security;

/// <summary>
/// Every page, endpoint and hub against every role and against no login, in one table: the server must let in exactly
/// the roles the table names, whatever the UI shows or hides. A new page or endpoint belongs in this table.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class AuthorizationMatrixTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const string Anonymous = "anonymous";
    private const string Producer = "producer";
    private static readonly string[] Everyone = [Anonymous, Producer, Roles.Moderator, Roles.Senior, Roles.Specialist, Roles.Admin, Roles.Auditor];
    private static readonly string[] Reviewers = [Roles.Moderator, Roles.Senior, Roles.Specialist, Roles.Admin];
    private static readonly string[] Seniors = [Roles.Senior, Roles.Specialist, Roles.Admin];
    private static readonly string[] Auditors = [Roles.Auditor, Roles.Admin];
    private static readonly string[] History = [Roles.Senior, Roles.Specialist, Roles.Admin, Roles.Auditor];
    private static readonly string[] Admins = [Roles.Admin];
    private static readonly string[] Specialists = [Roles.Specialist];
    private static readonly string[] Producers = [Producer];
    private static readonly string[] Staff = [Roles.Moderator, Roles.Senior, Roles.Specialist, Roles.Admin, Roles.Auditor];

    private TestConsole console = null!;
    private long itemId, jobId, caseId, childSafetyCaseId, removalId;

    public async ValueTask InitializeAsync()
    {
        console = await TestConsole.StartAsync(postgres);
        var producer = await console.ProducerAsync();
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey);
        itemId = (await client.SubmitAsync(GenerationBuilder.AutoBlocked().Build())).ItemId!.Value;
        await using var connection = await console.OpenConnectionAsync();
        jobId = await connection.ExecuteScalarAsync<long>("insert into jobs (kind, parameters, hangfire_id) values ('export', '{}', 'none') returning id");
        // A sealed case of each kind (the bundle's bytes do not matter here) and a removal request.
        const string SealedCase =
            """
            insert into cases (kind, status, producer_id, user_id, summary, closed_at, sealed_at, bundle, manifest_sha256)
            select @kind, 'closed', producer_id, user_id, 'matrix', now(), now(), '\x00', '\x00' from review_items where id = @itemId returning id
            """;
        caseId = await connection.ExecuteScalarAsync<long>(SealedCase, new { kind = "ncii", itemId });
        childSafetyCaseId = await connection.ExecuteScalarAsync<long>(SealedCase, new { kind = "child_safety", itemId });
        removalId = await connection.ExecuteScalarAsync<long>(
            """
            insert into removal_requests (producer_id, received_via, requester_kind, contact, ground, item_ids, due_at)
            select producer_id, 'api', 'victim', 'someone@example.test', 'ncii', array[id], now() + interval '2 days' from review_items where id = @itemId
            returning id
            """, new { itemId });
        producerKey = producer.ApiKey;
    }

    private string producerKey = "";

    public async ValueTask DisposeAsync() => await console.DisposeAsync();

    /// <summary>Method, path, and the only callers that get past authorization.</summary>
    private IEnumerable<(HttpMethod Method, string Path, string[] Allowed)> Table() =>
    [
        // Pages (Blazor components; [Authorize] is enforced on the HTTP request before any component runs).
        (HttpMethod.Get, "/queue", Reviewers),
        (HttpMethod.Get, "/review/standard", Reviewers),
        (HttpMethod.Get, "/review/escalation", Reviewers), // the page opens; claiming checks the escalation role (below)
        (HttpMethod.Get, "/decisions", History),
        (HttpMethod.Get, $"/items/{itemId}", History),
        (HttpMethod.Get, "/audit", Auditors),
        (HttpMethod.Get, "/reports", Auditors),
        (HttpMethod.Get, "/admin/jobs", Admins),
        (HttpMethod.Get, "/admin/policy", Admins),
        (HttpMethod.Get, "/dashboard", Admins),
        (HttpMethod.Get, "/admin/classifiers", Admins),
        (HttpMethod.Get, "/admin/users", Admins),
        (HttpMethod.Get, "/admin/producers", Admins),
        (HttpMethod.Get, "/bank", Seniors),
        (HttpMethod.Get, "/wellness", Reviewers), // the team's exposure table inside it is for seniors and admins (below)
        (HttpMethod.Get, "/accounts?q=user-1", Staff),
        (HttpMethod.Get, "/accounts/1/user-1", Staff), // acting on the account checks the role again (AccountActions)
        (HttpMethod.Get, "/appeals", Seniors),
        (HttpMethod.Get, "/admin/notices", Admins),
        (HttpMethod.Get, "/admin/checks", Admins),
        (HttpMethod.Get, "/my/decisions", Reviewers),
        (HttpMethod.Get, "/rereviews", Seniors),
        (HttpMethod.Get, "/cases", Seniors),
        (HttpMethod.Get, $"/cases/{caseId}", Seniors),
        (HttpMethod.Get, $"/cases/{childSafetyCaseId}", Seniors), // the page opens; CaseStore shows a child-safety case to specialists only (CaseOpeningTests)
        (HttpMethod.Get, "/holds", Seniors),
        (HttpMethod.Get, "/removals", Seniors),
        (HttpMethod.Get, $"/removals/{removalId}", Seniors),
        (HttpMethod.Get, "/admin/retention", Admins),
        (HttpMethod.Get, "/admin/opt-outs", Admins),
        (HttpMethod.Get, "/hangfire", Admins),
        (HttpMethod.Get, "/hangfire/jobs/enqueued", Admins),
        // Endpoints for people.
        (HttpMethod.Get, $"/review/images/{itemId}", Reviewers),
        (HttpMethod.Get, $"/review/images/{itemId}/similar/{itemId}", Reviewers),
        (HttpMethod.Get, "/audit/export/decisions.csv", Auditors),
        (HttpMethod.Get, "/audit/export/audit-log.json", Auditors),
        (HttpMethod.Get, "/audit/export/statements-of-reasons.json", Auditors),
        (HttpMethod.Get, $"/audit/export/jobs/{jobId}", Auditors),
        (HttpMethod.Get, "/audit/reports/reviewers.csv", Auditors),
        (HttpMethod.Get, "/audit/reports/transparency.json", Auditors),
        (HttpMethod.Get, $"/cases/{caseId}/bundle.zip", Seniors),
        (HttpMethod.Get, $"/cases/{childSafetyCaseId}/bundle.zip", Specialists),
        (HttpMethod.Get, $"/cases/{childSafetyCaseId}/cybertipline.zip", Specialists),
        // The public producer API and hub.
        (HttpMethod.Get, "/api/v1/decisions", Producers),
        (HttpMethod.Post, "/api/v1/generations", Producers),
        (HttpMethod.Post, "/api/v1/appeals", Producers),
        (HttpMethod.Post, "/api/v1/checks", Producers),
        (HttpMethod.Post, "/api/v1/checks/batch", Producers),
        (HttpMethod.Get, "/api/v1/notices", Producers),
        (HttpMethod.Get, "/api/v1/users/user-1/standing", Producers),
        (HttpMethod.Post, "/api/v1/removal-requests", Producers),
        (HttpMethod.Post, "/api/v1/capabilities", Producers),
        (HttpMethod.Post, "/api/v1/opt-outs", Producers),
        (HttpMethod.Delete, "/api/v1/opt-outs/some-opt-out", Producers),
        (HttpMethod.Get, "/api/v1/removal-requests/some-request", Producers),
        (HttpMethod.Post, "/hubs/ingest/negotiate?negotiateVersion=1", Producers),
        (HttpMethod.Get, "/openapi/v1.json", Producers),
        // Open to all: signing in, and the home page that sends each role to its own page.
        (HttpMethod.Get, "/login", Everyone),
        // The second factor's pages act only for the person a password just held there (or, enrolling, the one signed in).
        (HttpMethod.Get, "/login/code", Everyone),
        (HttpMethod.Get, "/login/enrol", Everyone),
        // Anyone signed in changes their own password.
        (HttpMethod.Get, "/account/password", Staff),
        // Single sign-on is off here: its start sends everyone back to the sign-in page (SingleSignOnFlowTests has it on).
        (HttpMethod.Get, "/account/sso", []),
        (HttpMethod.Get, "/not-found", Everyone),
        // Operators' probes: health for anyone, metrics for loopback and configured networks (the tests scrape from loopback).
        (HttpMethod.Get, "/healthz", Everyone),
        (HttpMethod.Get, "/metrics", Everyone),
    ];

    [Fact]
    public async Task Every_page_endpoint_and_hub_admits_exactly_its_roles()
    {
        var clients = new Dictionary<string, HttpClient>
        {
            [Anonymous] = new(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = console.BaseAddress },
            [Producer] = new(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = console.BaseAddress },
        };
        clients[Producer].DefaultRequestHeaders.Add("X-Api-Key", producerKey);
        foreach (var role in Roles.People) clients[role] = await console.ClientAsync(role);

        var wrong = new List<string>();
        foreach (var (method, path, allowed) in Table())
        {
            foreach (var (caller, client) in clients)
            {
                using var request = new HttpRequestMessage(method, path);
                if (method == HttpMethod.Post) request.Content = new StringContent("[]", System.Text.Encoding.UTF8, "application/json");
                using var response = await client.SendAsync(request);
                var admitted = Admitted(response);
                if (admitted != allowed.Contains(caller))
                    wrong.Add($"{method} {path} as {caller}: {(int)response.StatusCode} {response.Headers.Location} (expected {(allowed.Contains(caller) ? "admitted" : "refused")})");
            }
        }
        foreach (var client in clients.Values) client.Dispose();

        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
    }

    [Fact]
    public async Task An_unknown_address_answers_404_with_the_consoles_own_page_and_the_api_a_bare_404()
    {
        using var anonymous = new HttpClient { BaseAddress = console.BaseAddress };
        using var moderator = await console.ClientAsync(Roles.Moderator);

        foreach (var client in new[] { anonymous, moderator })
        {
            using var page = await client.GetAsync("/no/such/page");
            Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
            Assert.Contains("There is nothing at this address", await page.Content.ReadAsStringAsync());
        }
        using var producer = new HttpClient { BaseAddress = console.BaseAddress };
        producer.DefaultRequestHeaders.Add("X-Api-Key", producerKey);
        using var api = await producer.GetAsync("/api/v1/no-such-endpoint");
        Assert.Equal(HttpStatusCode.NotFound, api.StatusCode);
        Assert.Equal("", await api.Content.ReadAsStringAsync());
    }

    /// <summary>Refused means 401 or 403, or a redirect to the sign-in or access-denied page; anything else got through.</summary>
    private static bool Admitted(HttpResponseMessage response) =>
        response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        && !(response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found
             && response.Headers.Location?.AbsolutePathOrSelf() is { } target && (target.StartsWith("/login") || target.StartsWith("/denied")));

    [Fact]
    public async Task Auditors_cannot_change_anything_through_the_services_behind_the_pages()
    {
        var (_, auditor) = await console.PersonAsync(Roles.Auditor);
        var (victim, _) = await console.PersonAsync(Roles.Moderator);
        await using var connection = await console.OpenConnectionAsync();
        var decisionId = await connection.ExecuteScalarAsync<long>("select id from decisions limit 1");
        var before = await CountsAsync(connection);

        // Every action that changes moderation state refuses the auditor's principal, even when called directly.
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<ClaimService>().ClaimNextAsync(auditor, Queues.Standard));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<ClaimService>().ClaimNextAsync(auditor, Queues.Escalation));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<Overturns>().OverturnAsync(auditor, decisionId, "approved", [], "no"));
        var fakeClaim = new ItemClaim(itemId, Guid.NewGuid(), DateTimeOffset.UtcNow.AddMinutes(5), 1, "someone");
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<ReviewActions>().ApproveAsync(auditor, fakeClaim, null));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<ReviewActions>().BlockAsync(auditor, fakeClaim, ["sexual"], null));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<ReviewActions>().EscalateAsync(auditor, fakeClaim, null));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<ModerationConsole.Bank.BankAdministration>()
            .ImportAsync(auditor, new string('a', 64), ["sexual"], null));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<ModerationConsole.Bank.BankAdministration>()
            .RemoveAsync(auditor, 1, "no"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<ModerationConsole.Wellness.Exposures>().TeamAsync(auditor));

        // Admin work: the policy, people, producers, classifiers and jobs.
        var policy = (await console.Service<PolicyStore>().LoadActiveAsync()).Document;
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<PolicyChanges>().ActivateAsync(auditor, policy, "no"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<PolicyChanges>().RestoreAsync(auditor, 1, "no"));
        var users = console.Service<UserStore>();
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => users.CreateAsync(auditor, "new@example.test", TestData.Password, Roles.Admin));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => users.ChangeRoleAsync(auditor, victim.Email, Roles.Admin));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => users.SetDisabledAsync(auditor, victim.Email, true));
        var producers = console.Service<ProducerStore>();
        var producerName = (await producers.ListAsync())[0].Name;
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => producers.CreateAsync(auditor, "rogue"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => producers.RotateKeyAsync(auditor, producerName));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => producers.RevokeAsync(auditor, producerName));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<ClassifierStore>().ActivateAsync(auditor, "any", "1"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<PromptModelService>().TrainAsync(auditor));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<ModerationConsole.Checks.TermStore>()
            .AddAsync(auditor, "x", "sexual", "exact", "deny", false));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<ModerationConsole.Checks.TermStore>().RemoveAsync(auditor, 1));
        var jobs = console.Service<JobStore>();
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => jobs.StartAsync(auditor, Policies.Admin, RescoreJob.JobKind, RescoreJob.Parameters("any", "1")));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => jobs.RequestCancelAsync(auditor, jobId));
        var accounts = console.Service<ModerationConsole.Enforcement.AccountActions>();
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => accounts.ApplyAsync(auditor, 1, "user-1",
            new ModerationConsole.Enforcement.ManualAction("warn", [], null, null, "no")));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => accounts.LiftAsync(auditor, 1, "no"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => accounts.ConfirmAsync(auditor, 1, "no"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<ModerationConsole.Appeals.AppealQueue>().ClaimNextAsync(auditor));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<ModerationConsole.Appeals.AppealDecisions>()
            .DecideAsync(auditor, 1, Guid.NewGuid(), "overturned", "no"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<ModerationConsole.Enforcement.NoticeTemplates>()
            .SaveAsync(auditor, "warn", "", "en", "t", "b"));

        // Legal work: cases, holds, retention and removal requests.
        var cases = console.Service<ModerationConsole.Cases.CaseStore>();
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => cases.OpenAsync(auditor, "ncii", itemId, "no"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => cases.AddNoteAsync(auditor, caseId, "no"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => cases.CloseAsync(auditor, caseId, "no"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => cases.MarkReadyAsync(auditor, childSafetyCaseId));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<ModerationConsole.Retention.LegalHolds>()
            .PlaceAsync(auditor, "item", itemId.ToString(), null, "no", null));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<ModerationConsole.Retention.RetentionPolicies>()
            .SaveAsync(auditor, new ModerationConsole.Retention.RetentionPolicy(1, 1, 1)));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<ModerationConsole.Removals.RemovalActions>()
            .ActAsync(auditor, removalId, ["sexual"], "no"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => console.Service<ModerationConsole.Removals.RemovalActions>()
            .DeclineAsync(auditor, removalId, "no"));

        Assert.Equal(before, await CountsAsync(connection));
    }

    /// <summary>What an auditor must never change: decisions, item states, policies, users and their roles, producers and keys, strikes, the bank, classifiers, jobs.</summary>
    private static Task<string> CountsAsync(Npgsql.NpgsqlConnection connection) => connection.ExecuteScalarAsync<string>(
        """
        select concat_ws(',', (select count(*) from decisions), (select count(*) from review_items where status = 'pending'),
               (select count(*) from review_items where claimed_by is not null), (select count(*) from policies),
               (select count(*) from users), (select count(*) from producers), (select coalesce(sum(strikes), 0) from platform_users),
               (select count(*) from block_bank),
               (select string_agg(concat(role, disabled_at is null), ' ' order by id) from users where role <> 'auditor'),
               (select string_agg(concat(key_prefix, revoked_at is null), ' ' order by id) from producers),
               (select count(*) from classifier_versions where active), (select count(*) from jobs where not cancel_requested),
               (select count(*) from enforcements), (select count(*) from appeals where status = 'pending'), (select count(*) from notice_templates),
               (select count(*) from cases), (select count(*) from case_notes), (select count(*) from legal_holds),
               (select string_agg(concat(status, answered_at), ' ') from removal_requests), (select approved_image_days from retention_policy))
        """)!;
}

internal static class UriPaths
{
    public static string AbsolutePathOrSelf(this Uri uri) => uri.IsAbsoluteUri ? uri.AbsolutePath : uri.OriginalString;
}
