using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Decisions;
using ModerationConsole.Ingest;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Review;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Review;

/// <summary>
/// Outcomes between approve and block, end to end: a reviewer's outcome is stored and audited beside the approval it
/// is underneath, reaches a producer that declared outcomes with its marking (and one that did not as blocked), is
/// limited to the roles the policy names, and is counted in the transparency report and the statements of reasons.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class OutcomeTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres)
{
    private HttpClient Api() => ProducerClient.Http(console.BaseAddress, apiKey);

    private async Task<long> DecideWithOutcomeAsync(string outcome, string language = "de", string role = Roles.Moderator)
    {
        await producer.SubmitAsync(GenerationBuilder.Queued().WithLanguage(language).Build());
        var (_, reviewer) = await console.PersonAsync(role);
        var claim = (await console.Service<ClaimService>().ClaimNextAsync(reviewer, Queues.Standard))!;
        await console.Service<ReviewActions>().DecideAsync(reviewer, claim, ReviewDecision.WithOutcome(outcome, ["sexual"], null));
        return claim.ItemId;
    }

    [Fact]
    public async Task An_outcome_is_stored_and_audited_as_the_approval_it_is_with_its_reason()
    {
        var itemId = await DecideWithOutcomeAsync(Outcomes.AgeRestricted);

        await using var connection = await console.OpenConnectionAsync();
        var stored = await connection.QuerySingleAsync<(string Decision, string Outcome, string Reason)>(
            "select decision, outcome, reason from decisions where item_id = @itemId", new { itemId });
        Assert.Equal(("approved", Outcomes.AgeRestricted), (stored.Decision, stored.Outcome));
        Assert.Contains("verified as adult", stored.Reason);
        Assert.Equal(Outcomes.AgeRestricted, await connection.ExecuteScalarAsync<string>(
            "select details ->> 'outcome' from audit_log where action = 'item.decided' and item_id = @itemId", new { itemId }));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select coalesce(sum(strikes), 0) from platform_users"));
    }

    [Theory]
    [InlineData(Outcomes.AgeRestricted, true, false, false, false)]
    [InlineData(Outcomes.Labelled, false, true, false, false)]
    [InlineData(Outcomes.NoDistribution, false, false, true, false)]
    [InlineData(Outcomes.LimitVisibility, false, false, false, true)]
    public async Task Each_default_outcome_reaches_the_cursor_feed_with_its_own_marking(string outcome, bool ageRestricted, bool labelled,
        bool doNotDistribute, bool limitVisibility)
    {
        using var http = Api();
        (await http.PostAsJsonAsync("/api/v1/capabilities", new { outcomes = true })).EnsureSuccessStatusCode();
        var itemId = await DecideWithOutcomeAsync(outcome, language: "en");

        var notice = (await http.GetFromJsonAsync<DecisionPage>("/api/v1/decisions?after=0"))!.Decisions.Single(d => d.ItemId == itemId);

        Assert.Equal(("approved", outcome), (notice.Decision, notice.Outcome));
        var marking = notice.Marking!;
        Assert.Equal((ageRestricted, labelled, doNotDistribute, limitVisibility),
            (marking.AgeRestricted, marking.Label is not null, marking.DoNotDistribute, marking.LimitVisibility));
        Assert.Equal(doNotDistribute, marking.C2paAssertions.Any(a => a.Label == "c2pa.training-mining"));
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(outcome, await connection.ExecuteScalarAsync<string>(
            "select details ->> 'outcome' from audit_log where action = 'item.decided' and item_id = @itemId", new { itemId }));
    }

    [Fact]
    public async Task A_producer_that_declared_outcomes_gets_the_outcome_and_its_marking_and_one_that_did_not_reads_it_as_blocked()
    {
        using var http = Api();
        var before = await DecideWithOutcomeAsync(Outcomes.Labelled);
        var legacy = await http.GetFromJsonAsync<JsonElement>("/api/v1/decisions?after=0");
        var legacyNotice = legacy.GetProperty("decisions")[0];
        Assert.Equal("blocked", legacyNotice.GetProperty("decision").GetString());
        Assert.Equal(Outcomes.Labelled, legacyNotice.GetProperty("outcome").GetString());

        var declared = await http.PostAsJsonAsync("/api/v1/capabilities", new { outcomes = true });
        declared.EnsureSuccessStatusCode();
        var page = await http.GetFromJsonAsync<JsonElement>("/api/v1/decisions?after=0");
        var notice = page.GetProperty("decisions")[0];
        Assert.Equal("approved", notice.GetProperty("decision").GetString());
        var marking = notice.GetProperty("marking");
        Assert.Equal("KI-generiertes Bild", marking.GetProperty("label").GetString());
        Assert.Equal(Marking.TrainedAlgorithmicMedia, marking.GetProperty("iptcDigitalSourceType").GetString());
        var created = marking.GetProperty("c2paAssertions")[0];
        Assert.Equal("c2pa.actions", created.GetProperty("label").GetString());
        Assert.Equal("c2pa.created", created.GetProperty("data").GetProperty("actions")[0].GetProperty("action").GetString());

        // A pushed notice says the same, over JSON and over MessagePack.
        await using var packed = await ProducerClient.ConnectAsync(console.BaseAddress, apiKey, messagePack: true);
        await DecideWithOutcomeAsync(Outcomes.NoDistribution, language: "fr");
        foreach (var client in new[] { producer, packed })
        {
            DecisionNotice pushed;
            do pushed = await client.NextDecisionAsync(TimeSpan.FromSeconds(10));
            while (pushed.Outcome != Outcomes.NoDistribution);
            Assert.Equal("approved", pushed.Decision);
            Assert.True(pushed.Marking!.DoNotDistribute);
            Assert.Contains(pushed.Marking.C2paAssertions, a => a.Label == "c2pa.training-mining");
        }
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'producer.capabilities_declared'"));
        Assert.True(before > 0);
    }

    [Fact]
    public async Task An_outcome_the_policy_keeps_to_seniors_is_refused_to_a_moderator_and_an_unknown_one_is_named()
    {
        var policies = console.Service<PolicyChanges>();
        var (_, admin) = await console.PersonAsync(Roles.Admin);
        var current = (await console.Service<PolicyStore>().LoadActiveAsync()).Document;
        await policies.ActivateAsync(admin, current with
        {
            Outcomes = current.Outcomes.Select(o => o.Key == Outcomes.LimitVisibility ? o with { Roles = [Roles.Senior, Roles.Admin] } : o).ToList(),
        }, "Demotion is a senior's call.");
        await producer.SubmitAsync(GenerationBuilder.Queued().Build());
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var claim = (await console.Service<ClaimService>().ClaimNextAsync(moderator, Queues.Standard))!;
        var actions = console.Service<ReviewActions>();

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() =>
            actions.DecideAsync(moderator, claim, ReviewDecision.WithOutcome(Outcomes.LimitVisibility, [], null)));
        var unknown = await Assert.ThrowsAsync<ReviewException>(() =>
            actions.DecideAsync(moderator, claim, ReviewDecision.WithOutcome("shadow_ban", [], null)));
        Assert.StartsWith("outcome:", unknown.Message);
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from decisions where not automated"));
    }

    [Fact]
    public async Task Routing_approves_a_band_with_its_outcome_once_the_policy_says_so_and_the_what_if_shows_it_first()
    {
        var queued = await producer.SubmitAsync(GenerationBuilder.Queued().WithJurisdiction("DE").WithAgeVerified(true).Build());
        Assert.Equal(Routes.Queued, queued.Route);
        var (_, admin) = await console.PersonAsync(Roles.Admin);
        var proposed = (await console.Service<PolicyStore>().LoadActiveAsync()).Document with
        {
            AutoOutcomes = ModerationConsole.Tests.Policy.AutoOutcomeRoutingTests.AdultsOnlyInGermany.AutoOutcomes,
        };

        var whatIf = await console.Service<WhatIf>().BacklogAsync(proposed);
        Assert.True(whatIf.Changes.Any(c => (c.From, c.To, c.Items) == (Routes.Queued, Routes.AutoApproved, 1L)),
            string.Join("; ", whatIf.Changes.Select(c => $"{c.From}->{c.To}: {c.Items}")));

        await console.Service<PolicyChanges>().ActivateAsync(admin, proposed, "Adults-only sexual content for verified adults in Germany.");
        var arriving = await producer.SubmitAsync(GenerationBuilder.Queued().WithJurisdiction("DE").WithAgeVerified(true).Build());
        Assert.Equal(Routes.AutoApproved, arriving.Route);
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(Outcomes.AgeRestricted, await connection.ExecuteScalarAsync<string>(
            "select outcome from decisions where item_id = @ItemId and automated", arriving));
        // The backlog follows the new policy too (its re-route job).
        await Eventually.TrueAsync(async () => await connection.ExecuteScalarAsync<string?>(
            "select outcome from decisions where item_id = @ItemId", queued) == Outcomes.AgeRestricted, () => "the backlog was not re-routed");
    }

    [Fact]
    public async Task An_outcome_the_policy_weights_gives_a_strike_the_ladder_counts_and_an_overturn_lifts_it()
    {
        var (_, admin) = await console.PersonAsync(Roles.Admin);
        var current = (await console.Service<PolicyStore>().LoadActiveAsync()).Document;
        await console.Service<PolicyChanges>().ActivateAsync(admin, current with
        {
            Outcomes = current.Outcomes.Select(o => o.Key == Outcomes.NoDistribution ? o with { StrikeWeight = 2 } : o).ToList(),
        }, "Keeping a real person's likeness back counts against the account.");

        var itemId = await DecideWithOutcomeAsync(Outcomes.NoDistribution);

        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal((2, 1), await connection.QuerySingleAsync<(int, int)>(
            "select (select sum(weight)::int from strikes), (select strikes from platform_users)"));
        var decisionId = await connection.ExecuteScalarAsync<long>("select id from decisions where item_id = @itemId", new { itemId });
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        await console.Service<Overturns>().OverturnAsync(senior, decisionId, "approved", [], "Not a real person after all.");
        Assert.Equal((0, 0), await connection.QuerySingleAsync<(int, int)>(
            "select (select coalesce(sum(weight), 0)::int from strikes where lifted_at is null), (select strikes from platform_users)"));
    }

    [Fact]
    public async Task A_policy_with_broken_outcomes_is_refused_naming_each_field()
    {
        var document = (await console.Service<PolicyStore>().LoadActiveAsync()).Document;
        var broken = document with
        {
            Outcomes =
            [
                .. document.Outcomes.Where(o => o.Key != Outcomes.Block),
                new OutcomeRule { Key = "Blur It", Label = "", Decision = "maybe", Shortcut = "e", DsaVisibility = "HIDDEN", StrikeWeight = -1 },
                document.Outcomes[1] with { Key = "approve_twice", Restricted = false },
            ],
        };

        var problems = broken.Validate();

        Assert.Contains("outcomes: the approve and block outcomes are required", problems);
        Assert.Contains(problems, p => p.StartsWith("outcomes: shortcut 'g' is used by"));
        Assert.Contains(problems, p => p.StartsWith("outcomes[5] (Blur It).key:"));
        Assert.Contains(problems, p => p.StartsWith("outcomes[5] (Blur It).label:"));
        Assert.Contains(problems, p => p.StartsWith("outcomes[5] (Blur It).decision:"));
        Assert.Contains(problems, p => p.StartsWith("outcomes[5] (Blur It).shortcut:"));
        Assert.Contains(problems, p => p.StartsWith("outcomes[5] (Blur It).dsaVisibility:"));
        Assert.Contains(problems, p => p.StartsWith("outcomes[5] (Blur It).strikeWeight:"));
        Assert.Contains(problems, p => p.StartsWith("outcomes[6] (approve_twice).restricted:"));
    }

    [Fact]
    public async Task Outcomes_are_counted_in_the_transparency_report_and_each_restriction_has_a_statement_of_reasons()
    {
        await DecideWithOutcomeAsync(Outcomes.AgeRestricted);
        await DecideWithOutcomeAsync(Outcomes.AgeRestricted);
        await DecideWithOutcomeAsync(Outcomes.LimitVisibility);
        await producer.SubmitAsync(GenerationBuilder.AutoApproved().Build());

        var report = await console.Service<ModerationConsole.Audit.Reports.TransparencyReports>()
            .ForAsync(new ModerationConsole.Audit.Reports.ReportPeriod(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)));
        Assert.Equal([(Outcomes.AgeRestricted, 2L), (Outcomes.Approve, 1L), (Outcomes.LimitVisibility, 1L)],
            report.ByOutcome.Select(r => (r.Key, r.Count)));

        using var auditor = await console.ClientAsync(Roles.Auditor);
        var statements = await auditor.GetFromJsonAsync<JsonElement>("/audit/export/statements-of-reasons.json");
        var visibilities = statements.EnumerateArray().Select(s => s.GetProperty("decision_visibility")[0].GetString()).Order().ToArray();
        Assert.Equal(["DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED", "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED", "DECISION_VISIBILITY_CONTENT_DEMOTED"],
            visibilities);
    }
}
