using System.Text.Json;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Review;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Audit;

/// <summary>
/// Auditors' search over decisions and the audit log: every filter, alone and combined, returns exactly the rows a
/// brute-force pass over the whole log selects, newest first, walked page by page through the server's paging keys.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class AuditSearchTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const int PageSize = 2;
    private TestConsole console = null!;
    private string firstModerator = "", secondModerator = "";
    private List<DecisionRecord> decisions = [];
    private List<LoggedEntry> entries = [];

    private AuditSearch Search => console.Service<AuditSearch>();

    /// <summary>
    /// Two producers; items from two platform users and jurisdictions (and one with none); automatic blocks and approvals;
    /// two moderators who approve, block for one category and block for two.
    /// </summary>
    public async ValueTask InitializeAsync()
    {
        console = await TestConsole.StartAsync(postgres);
        await using (var alpha = await ProducerClient.ConnectAsync(console.BaseAddress, (await console.ProducerAsync("alpha")).ApiKey))
        {
            await alpha.SubmitBatchAsync(
            [
                GenerationBuilder.AutoBlocked().WithUser("u1").WithJurisdiction("FR").Build(),
                GenerationBuilder.AutoApproved().WithUser("u2").WithJurisdiction("DE").Build(),
                GenerationBuilder.Queued().WithUser("u1").WithJurisdiction("FR").Build(),
                GenerationBuilder.Queued().WithUser("u1").WithJurisdiction("FR").Build(),
                new GenerationBuilder().WithScores(("harassment", 0.7)).WithUser("u2").WithJurisdiction("DE").Build(),
            ]);
        }
        await using (var beta = await ProducerClient.ConnectAsync(console.BaseAddress, (await console.ProducerAsync("beta")).ApiKey))
        {
            await beta.SubmitBatchAsync(
            [
                GenerationBuilder.AutoBlocked().WithUser("u3").WithJurisdiction("DE").Build(),
                GenerationBuilder.Queued().WithUser("u3").WithJurisdiction(null).Build(),
                new GenerationBuilder().WithScores(("harassment", 0.7), ("sexual", 0.6)).WithUser("u3").WithJurisdiction("FR").Build(),
            ]);
        }

        var (first, firstPrincipal) = await console.PersonAsync(Roles.Moderator);
        var (second, secondPrincipal) = await console.PersonAsync(Roles.Senior);
        (firstModerator, secondModerator) = (first.Email, second.Email);
        var claims = console.Service<ClaimService>();
        var actions = console.Service<ReviewActions>();
        async Task DecideNextAsync(System.Security.Claims.ClaimsPrincipal who, IReadOnlyList<string>? blockFor)
        {
            var claim = await claims.ClaimNextAsync(who, Queues.Standard) ?? throw new InvalidOperationException("the queue ran dry");
            if (blockFor is null) await actions.ApproveAsync(who, claim, null);
            else await actions.BlockAsync(who, claim, blockFor, "test");
        }
        await DecideNextAsync(firstPrincipal, null);
        await DecideNextAsync(firstPrincipal, ["sexual"]);
        await DecideNextAsync(secondPrincipal, ["sexual", "harassment"]);
        await DecideNextAsync(secondPrincipal, ["harassment"]);
        await DecideNextAsync(firstPrincipal, null);

        decisions = await Search.AllDecisionsAsync(new AuditFilter()).ToListAsync();
        entries = await LoggedEntry.AllAsync(console);
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(await connection.ExecuteScalarAsync<int>("select count(*) from decisions"), decisions.Count);
        Assert.Equal(await connection.ExecuteScalarAsync<int>("select count(*) from audit_log"), entries.Count);
        Assert.Equal(8, decisions.Count);
    }

    public async ValueTask DisposeAsync() => await console.DisposeAsync();

    /// <summary>Every page of a search, following each page's key to the next, checked for order and size on the way.</summary>
    private static async Task<List<T>> WalkAsync<T>(Func<long?, Task<AuditPage<T>>> page, Func<T, long> id)
    {
        var rows = new List<T>();
        long? before = null;
        for (var pages = 0; ; pages++)
        {
            Assert.True(pages < 1000, "paging does not end");
            var current = await page(before);
            Assert.True(current.Rows.Count <= PageSize);
            if (current.Before is { } next)
            {
                Assert.Equal(PageSize, current.Rows.Count);
                Assert.Equal(id(current.Rows[^1]), next);
            }
            rows.AddRange(current.Rows);
            if (current.Before is null) break;
            before = current.Before;
        }
        var ids = rows.Select(id).ToList();
        Assert.Equal(ids.OrderDescending(), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        return rows;
    }

    private Task AssertDecisionsMatch(AuditFilter filter, Func<DecisionRecord, bool> expected) =>
        AssertSearchFindsAsync(filter, auditLog: false, decisions.Where(expected).Select(d => d.Id), decisions.Count);

    private Task AssertEntriesMatch(AuditFilter filter, Func<LoggedEntry, bool> expected) =>
        AssertSearchFindsAsync(filter, auditLog: true, entries.Where(expected).Select(e => e.Id), entries.Count);

    /// <summary>The search walked page by page, and its count, give exactly the <paramref name="expected"/> ids, newest first.</summary>
    private async Task AssertSearchFindsAsync(AuditFilter filter, bool auditLog, IEnumerable<long> expected, int total)
    {
        var found = auditLog
            ? (await WalkAsync(before => Search.EntriesAsync(filter, before, PageSize), e => e.Id)).Select(e => e.Id)
            : (await WalkAsync(before => Search.DecisionsAsync(filter, before, PageSize), d => d.Id)).Select(d => d.Id);
        var wanted = expected.OrderDescending().ToList();
        Assert.NotEmpty(wanted);
        Assert.True(wanted.Count < total, $"{filter} selects everything, so it proves nothing");
        Assert.Equal(wanted, found);
        Assert.Equal(wanted.Count, await Search.CountAsync(filter, auditLog));
    }

    [Fact]
    public async Task With_no_filter_every_decision_and_entry_comes_back_newest_first_page_by_page()
    {
        var allDecisions = await WalkAsync(before => Search.DecisionsAsync(new AuditFilter(), before, PageSize), d => d.Id);
        var allEntries = await WalkAsync(before => Search.EntriesAsync(new AuditFilter(), before, PageSize), e => e.Id);

        Assert.Equal(decisions.Select(d => d.Id).OrderDescending(), allDecisions.Select(d => d.Id));
        Assert.Equal(entries.Select(e => e.Id).OrderDescending(), allEntries.Select(e => e.Id));
    }

    [Fact]
    public async Task A_time_range_keeps_decisions_from_its_start_up_to_but_not_including_its_end()
    {
        var from = decisions[2].DecidedAt;
        var to = decisions[6].DecidedAt;

        await AssertDecisionsMatch(new AuditFilter { From = from }, d => d.DecidedAt >= from);
        await AssertDecisionsMatch(new AuditFilter { To = to }, d => d.DecidedAt < to);
        await AssertDecisionsMatch(new AuditFilter { From = from, To = to }, d => d.DecidedAt >= from && d.DecidedAt < to);
    }

    [Fact]
    public async Task Decisions_filter_by_moderator_whatever_the_case_of_the_address()
    {
        await AssertDecisionsMatch(new AuditFilter { Moderator = firstModerator.ToUpperInvariant() }, d => d.Moderator == firstModerator);
        await AssertDecisionsMatch(new AuditFilter { Moderator = secondModerator }, d => d.Moderator == secondModerator);
    }

    [Theory]
    [InlineData("sexual")]
    [InlineData("harassment")]
    [InlineData("violence")]
    public async Task Decisions_filter_by_any_of_their_categories(string category) =>
        await AssertDecisionsMatch(new AuditFilter { Category = category }, d => d.Categories.Contains(category));

    [Theory]
    [InlineData("blocked")]
    [InlineData("approved")]
    public async Task Decisions_filter_by_outcome(string outcome) =>
        await AssertDecisionsMatch(new AuditFilter { Decision = outcome }, d => d.Decision == outcome);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Decisions_filter_by_automated_or_human(bool automated) =>
        await AssertDecisionsMatch(new AuditFilter { Automated = automated }, d => d.Automated == automated);

    [Fact]
    public async Task Decisions_filter_by_producer_platform_user_and_jurisdiction()
    {
        await AssertDecisionsMatch(new AuditFilter { Producer = "beta" }, d => d.Producer == "beta");
        await AssertDecisionsMatch(new AuditFilter { PlatformUser = "u1" }, d => d.PlatformUser == "u1");
        await AssertDecisionsMatch(new AuditFilter { Jurisdiction = "fr" }, d => d.Jurisdiction == "FR");
    }

    [Fact]
    public async Task Decision_filters_combine_with_and()
    {
        await AssertDecisionsMatch(new AuditFilter { Producer = "alpha", Decision = "blocked", Automated = false },
            d => d.Producer == "alpha" && d.Decision == "blocked" && !d.Automated);
        await AssertDecisionsMatch(new AuditFilter { Category = "harassment", Jurisdiction = "FR", From = decisions[0].DecidedAt },
            d => d.Categories.Contains("harassment") && d.Jurisdiction == "FR");
    }

    [Fact]
    public async Task A_filter_nothing_matches_gives_an_empty_last_page()
    {
        var page = await Search.DecisionsAsync(new AuditFilter { Producer = "nobody" }, null, PageSize);

        Assert.Empty(page.Rows);
        Assert.Null(page.Before);
    }

    [Fact]
    public async Task The_audit_log_filters_by_time_moderator_and_action()
    {
        var from = entries[entries.Count / 3].At;
        var to = entries[2 * entries.Count / 3].At;

        await AssertEntriesMatch(new AuditFilter { From = from, To = to }, e => e.At >= from && e.At < to);
        await AssertEntriesMatch(new AuditFilter { Moderator = secondModerator }, e => e.UserEmail == secondModerator);
        await AssertEntriesMatch(new AuditFilter { Action = AuditActions.ItemClaimed }, e => e.Action == AuditActions.ItemClaimed);
    }

    [Fact]
    public async Task The_audit_log_filters_by_the_producer_acting_or_owning_the_item()
    {
        await AssertEntriesMatch(new AuditFilter { Producer = "alpha" }, e => e.ProducerName == "alpha" || e.ItemProducer == "alpha");
    }

    [Fact]
    public async Task The_audit_log_filters_by_the_item_user_jurisdiction_category_and_decision()
    {
        await AssertEntriesMatch(new AuditFilter { PlatformUser = "u3" }, e => e.ItemUser == "u3");
        await AssertEntriesMatch(new AuditFilter { Jurisdiction = "DE" }, e => e.ItemJurisdiction == "DE");
        await AssertEntriesMatch(new AuditFilter { Category = "harassment" }, e => e.ItemCategories.Contains("harassment"));
        await AssertEntriesMatch(new AuditFilter { Decision = "blocked" }, e => e.Decision == "blocked");
        await AssertEntriesMatch(new AuditFilter { Decision = "approved", Moderator = firstModerator },
            e => e.Decision == "approved" && e.UserEmail == firstModerator);
    }

    /// <summary>An audit entry with the facts a brute-force filter needs: who acted, and the item it concerns.</summary>
    private sealed record LoggedEntry(
        long Id, DateTimeOffset At, string Action, string? UserEmail, string? ProducerName, string? Decision,
        string? ItemProducer, string? ItemUser, string? ItemJurisdiction, string[] ItemCategories)
    {
        public static async Task<List<LoggedEntry>> AllAsync(TestConsole console)
        {
            await using var connection = await console.OpenConnectionAsync();
            var people = (await connection.QueryAsync<(long Id, string Email)>("select id, email from users")).ToDictionary(p => p.Id.ToString(), p => p.Email);
            var producers = (await connection.QueryAsync<(long Id, string Name)>("select id, name from producers")).ToDictionary(p => p.Id, p => p.Name);
            var items = (await connection.QueryAsync<ItemFacts>(
                "select id, producer_id as producerid, user_id as userid, jurisdiction, route_categories as categories from review_items"))
                .ToDictionary(i => i.Id);
            var rows = await connection.QueryAsync<(long Id, DateTime At, string ActorKind, string ActorId, string Action, long? ItemId, string Details)>(
                "select id, at, actor_kind, actor_id, action, item_id, details::text from audit_log order by id");
            return rows.Select(r =>
            {
                var item = r.ItemId is { } itemId ? items[itemId] : null;
                var details = JsonDocument.Parse(r.Details).RootElement;
                return new LoggedEntry(
                    r.Id, new DateTimeOffset(DateTime.SpecifyKind(r.At, DateTimeKind.Utc)), r.Action,
                    r.ActorKind == "user" ? people[r.ActorId] : null,
                    r.ActorKind == "producer" ? producers[long.Parse(r.ActorId)] : null,
                    details.ValueKind == JsonValueKind.Object && details.TryGetProperty("decision", out var d) ? d.GetString() : null,
                    item is null ? null : producers[item.ProducerId], item?.UserId, item?.Jurisdiction, item?.Categories ?? []);
            }).ToList();
        }
    }

    private sealed class ItemFacts
    {
        public long Id { get; init; }
        public long ProducerId { get; init; }
        public string UserId { get; init; } = "";
        public string? Jurisdiction { get; init; }
        public string[] Categories { get; init; } = [];
    }
}
