using System.Net;
using System.Net.Http.Json;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Bank;
using ModerationConsole.Checks;
using ModerationConsole.Dashboard;
using ModerationConsole.Enforcement;
using ModerationConsole.Hashing;
using ModerationConsole.Ingest;
using ModerationConsole.Scoring;
using ModerationConsole.Scoring.Training;
using ModerationConsole.Simulate;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Checks;

/// <summary>
/// The generation-time check over HTTP against a real PostgreSQL: each layer with its reason codes (standing, verified
/// access, quotas, term lists, prompt model, source image), quotas at their edges, evasions of the term list, bad
/// input, and a ban reaching a second instance within a second.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class GenerationCheckTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestConsole console = null!;
    private HttpClient http = null!;
    private long producerId;
    private string apiKey = "";
    private int checks;

    public async ValueTask InitializeAsync()
    {
        console = await TestConsole.StartAsync(postgres);
        var producer = await console.ProducerAsync();
        producerId = producer.Producer.Id;
        apiKey = producer.ApiKey;
        http = ProducerClient.Http(console.BaseAddress, producer.ApiKey);
    }

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await console.DisposeAsync();
    }

    private static CheckRequest Check(string userId, string prompt = "a lighthouse at dusk", string? tier = null, bool ageVerified = false,
        string[]? features = null, string? checkId = null) =>
        new(checkId ?? Guid.NewGuid().ToString("n"), userId, tier, ageVerified, "DE", prompt, null, "sdxl", features ?? []);

    private async Task<CheckVerdict> AskAsync(CheckRequest check)
    {
        Interlocked.Increment(ref checks);
        var response = await http.PostAsJsonAsync("/api/v1/checks", check);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var verdict = (await response.Content.ReadFromJsonAsync<CheckVerdict>())!;
        await console.Service<CheckRecorder>().FlushAsync();
        return verdict;
    }

    [Fact]
    public async Task An_ordinary_prompt_is_allowed_and_the_check_is_stored_with_its_verdict()
    {
        var verdict = await AskAsync(Check("ada", checkId: "c-1"));

        Assert.Equal(("c-1", Verdicts.Allow), (verdict.CheckId, verdict.Verdict));
        await AskAsync(Check("ada", features: ["adult"]));
        var refused = Assert.Single(await console.Service<CheckReader>().RefusalsAsync(producerId, "ada", 10));
        Assert.Equal(("require_verification", "verification_needed"), (refused.Verdict, CheckReader.ReasonsOf(refused).Single().Code));
        Assert.Empty(verdict.Reasons);
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal("allow", await connection.ExecuteScalarAsync<string>("select verdict from generation_checks where check_id = 'c-1'"));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where action like 'check%'"));
    }

    [Fact]
    public async Task A_suspended_or_banned_account_or_a_restricted_feature_is_denied_with_its_reason()
    {
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        var accounts = console.Service<AccountActions>();
        await accounts.ApplyAsync(senior, producerId, "sue", new ManualAction(EnforcementActions.Suspend, [], null, 48, "repeated abuse"));
        await accounts.ApplyAsync(senior, producerId, "rex", new ManualAction(EnforcementActions.Restrict, ["image_edit"], null, 24, "edits of real people"));

        var suspended = await AskAsync(Check("sue"));
        Assert.Equal((Verdicts.Deny, "account_suspended", "suspend"), (suspended.Verdict, suspended.Reasons[0].Code, suspended.NoticeTemplate));
        Assert.InRange(suspended.RetryAfter!.Value, 47 * 3600, 48 * 3600);

        var edit = await AskAsync(Check("rex", features: ["image_edit"]));
        Assert.Equal((Verdicts.Deny, "feature_restricted"), (edit.Verdict, edit.Reasons.Single().Code));
        Assert.Equal(Verdicts.Allow, (await AskAsync(Check("rex"))).Verdict);
    }

    [Fact]
    public async Task A_ban_on_one_instance_stops_checks_on_another_within_a_second()
    {
        await using var second = await TestConsole.StartOnAsync(console.ConnectionString);
        using var other = ProducerClient.Http(second.BaseAddress, apiKey);
        Assert.Equal(Verdicts.Allow, (await (await other.PostAsJsonAsync("/api/v1/checks", Check("bob"))).Content.ReadFromJsonAsync<CheckVerdict>())!.Verdict);

        var (_, senior) = await console.PersonAsync(Roles.Senior);
        await console.Service<AccountActions>().ApplyAsync(senior, producerId, "bob", new ManualAction(EnforcementActions.Ban, [], null, null, "a ban"));
        var banned = DateTime.UtcNow;

        await Eventually.TrueAsync(async () =>
            (await (await other.PostAsJsonAsync("/api/v1/checks", Check("bob"))).Content.ReadFromJsonAsync<CheckVerdict>())!.Verdict == Verdicts.Deny,
            within: TimeSpan.FromSeconds(5), poll: TimeSpan.FromMilliseconds(50));
        Assert.InRange(DateTime.UtcNow - banned, TimeSpan.Zero, TimeSpan.FromSeconds(1.5));
    }

    [Fact]
    public async Task Sensitive_features_need_age_verification_or_a_verified_tier()
    {
        var unverified = await AskAsync(Check("vic", features: ["photoreal_people"]));
        Assert.Equal((Verdicts.RequireVerification, "verified_access", "verification_needed"),
            (unverified.Verdict, unverified.Reasons.Single().Layer, unverified.Reasons.Single().Code));

        Assert.Equal(Verdicts.Allow, (await AskAsync(Check("vic", features: ["photoreal_people"], ageVerified: true))).Verdict);
        Assert.Equal(Verdicts.Allow, (await AskAsync(Check("vic", features: ["photoreal_people"], tier: "verified"))).Verdict);
    }

    [Fact]
    public async Task A_low_trust_tier_gets_its_hourly_quota_and_no_more_even_when_checks_arrive_at_once()
    {
        // The default policy: free users get 20 photoreal_people generations an hour.
        var burst = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ =>
            AskAsync(Check("quinn", tier: "free", ageVerified: true, features: ["photoreal_people"]))));

        Assert.Equal(20, burst.Count(v => v.Verdict == Verdicts.Allow));
        var limited = burst.Where(v => v.Verdict == Verdicts.RateLimited).ToList();
        Assert.Equal(10, limited.Count);
        Assert.All(limited, v => Assert.InRange(v.RetryAfter!.Value, 3500, 3600));
        Assert.All(limited, v => Assert.Equal(("quota", "quota_exceeded"), (v.Reasons.Single().Layer, v.Reasons.Single().Code)));
        // Other features and other tiers are not counted against it.
        Assert.Equal(Verdicts.Allow, (await AskAsync(Check("quinn", tier: "free"))).Verdict);
        Assert.Equal(Verdicts.Allow, (await AskAsync(Check("quinn", tier: "pro", features: ["photoreal_people"]))).Verdict);

        // An hour later the window has moved on.
        await using (var owner = await console.OpenOwnerConnectionAsync())
            await owner.ExecuteAsync("update generation_checks set checked_at = checked_at - interval '61 minutes'");
        Assert.Equal(Verdicts.Allow, (await AskAsync(Check("quinn", tier: "free", ageVerified: true, features: ["photoreal_people"]))).Verdict);
    }

    [Fact]
    public async Task A_burst_of_checks_is_stored_once_each_with_the_verdict_each_caller_was_given()
    {
        var burst = await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            AskAsync(Check($"crowd-{i % 17}", checkId: $"burst-{i}", features: i % 4 == 0 ? ["adult"] : []))));

        await using var connection = await console.OpenConnectionAsync();
        var stored = (await connection.QueryAsync<(string CheckId, string Verdict)>(
            "select check_id, verdict from generation_checks where check_id like 'burst-%'")).ToDictionary(r => r.CheckId, r => r.Verdict);
        Assert.Equal(100, stored.Count);
        Assert.All(burst, v => Assert.Equal(stored[v.CheckId], v.Verdict));
        Assert.Equal(25, burst.Count(v => v.Verdict == Verdicts.RequireVerification));
    }

    [Fact]
    public async Task The_same_check_id_answers_the_stored_verdict_and_counts_once()
    {
        var first = await AskAsync(Check("rae", tier: "free", ageVerified: true, features: ["photoreal_people"], checkId: "again"));
        var second = await AskAsync(Check("rae", prompt: "something else entirely", checkId: "again"));

        Assert.Equivalent(first, second, strict: true);
        var unmetered = await AskAsync(Check("rae", checkId: "again-unmetered"));
        var repeated = await AskAsync(Check("rae", features: ["adult"], checkId: "again-unmetered"));

        Assert.Equivalent(unmetered, repeated, strict: true);
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from generation_checks where check_id = 'again'"));
        Assert.Equal("allow", await connection.ExecuteScalarAsync<string>("select string_agg(verdict, ',') from generation_checks where check_id = 'again-unmetered'"));
    }

    [Fact]
    public async Task A_check_that_counts_against_no_quota_is_answered_without_waiting_for_its_record()
    {
        await using var holder = await console.OpenConnectionAsync();
        await using var hold = await holder.BeginTransactionAsync();
        await holder.ExecuteAsync("lock table generation_checks in exclusive mode", transaction: hold);

        var response = await http.PostAsJsonAsync("/api/v1/checks", Check("tess", checkId: "behind")).WaitAsync(TimeSpan.FromSeconds(10));
        var verdict = (await response.Content.ReadFromJsonAsync<CheckVerdict>())!;

        Assert.Equal(Verdicts.Allow, verdict.Verdict);
        await hold.RollbackAsync();
        await console.Service<CheckRecorder>().FlushAsync(TestContext.Current.CancellationToken);
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal("allow", await connection.ExecuteScalarAsync<string>("select verdict from generation_checks where check_id = 'behind'"));
    }

    [Fact]
    public async Task Listed_terms_catch_case_diacritics_leetspeak_invisible_and_confusable_characters()
    {
        var (_, admin) = await console.PersonAsync(Roles.Admin);
        var terms = console.Service<TermStore>();
        await terms.AddAsync(admin, "nudify", "sexual", "normalised", "deny", shadow: false);
        await terms.AddAsync(admin, "gore", "violence", "word", "review", shadow: false);
        await terms.AddAsync(admin, "schoolgirl", "sexual_minors", "normalised", "review", shadow: false);
        await terms.AddAsync(admin, "lingerie", "sexual", "word", "deny", shadow: true);
        await console.Service<CheckRules>().RefreshNowAsync();

        foreach (var evasion in new[] { "NUDIFY her", "nüdify", "nud1fy", "n.u.d.i.f.y", "nu\u200Bdify", "nu\u00ADdify", "nudіfy" /* Cyrillic і */, "ｎｕｄｉｆｙ" })
        {
            var verdict = await AskAsync(Check($"evader-{evasion.GetHashCode()}", prompt: evasion));
            Assert.True(verdict.Verdict == Verdicts.Deny, $"'{evasion}' was {verdict.Verdict}");
            Assert.Equal(("terms", "term_listed", "sexual"), (verdict.Reasons[0].Layer, verdict.Reasons[0].Code, verdict.Reasons[0].Category));
        }
        Assert.Equal(Verdicts.AllowWithReview, (await AskAsync(Check("tess", prompt: "a film poster, gore and smoke"))).Verdict);
        Assert.Equal(Verdicts.Allow, (await AskAsync(Check("tess", prompt: "a gorey old castle"))).Verdict);
        // A sexual_minors term denies whatever its action says.
        Assert.Equal(Verdicts.Deny, (await AskAsync(Check("tess", prompt: "school girl in a park"))).Verdict);

        var shadowed = await AskAsync(Check("tess", prompt: "lingerie advert"));
        Assert.Equal(Verdicts.Allow, shadowed.Verdict);
        Assert.True(shadowed.Reasons.Single().Shadow);
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(4, await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'check_term.added'"));
    }

    [Fact]
    public async Task Before_a_term_is_listed_the_what_if_says_what_it_would_have_refused_and_the_counts_show_what_was()
    {
        await AskAsync(Check("amy", prompt: "an ad for a nudify app"));
        await AskAsync(Check("amy", prompt: "a lighthouse at dusk"));
        await AskAsync(Check("ben", prompt: "nud1fy her photo"));
        await AskAsync(Check("ben", prompt: "nudify, photoreal", features: ["photoreal_people"]));

        var whatIf = await console.Service<CheckReader>().WhatIfAsync(new CheckTerm(0, "nudify", "sexual", "normalised", "deny", false), false, days: 7);

        Assert.Equal((4, 3, 3), (whatIf.Checked, whatIf.Matched, whatIf.Changed));
        var counts = await console.Service<CheckReader>().LastDayAsync();
        Assert.Equal([("allow", 3L), ("require_verification", 1L)], counts.Verdicts.OrderBy(v => v.Verdict));
        Assert.Equal(("verified_access", "verification_needed", 1L), counts.Reasons.Single());
        Assert.Equal((producerId, "ben", 1L), counts.TopRefused.Single());
        Assert.Equal(4, counts.LastHour);
    }

    [Fact]
    public async Task An_admin_alone_edits_the_terms_with_errors_naming_the_field()
    {
        var (_, admin) = await console.PersonAsync(Roles.Admin);
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        var terms = console.Service<TermStore>();

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => terms.AddAsync(senior, "x", "sexual", "exact", "deny", false));
        var bad = await Assert.ThrowsAsync<ArgumentException>(() => terms.AddAsync(admin, "", "nonsense", "fuzzy", "ban", false));
        Assert.Contains("term:", bad.Message);
        Assert.Contains("category:", bad.Message);
        Assert.Contains("matching:", bad.Message);
        Assert.Contains("action:", bad.Message);
        var id = await terms.AddAsync(admin, "nudify", "sexual", "normalised", "deny", shadow: true);
        await terms.SetShadowAsync(admin, id, false);
        Assert.False((await terms.ListAsync()).Single().Shadow);
        await terms.RemoveAsync(admin, id);
        Assert.Empty(await terms.ListAsync());
    }

    [Fact]
    public async Task The_prompt_model_scores_the_prompt_against_the_policys_thresholds()
    {
        var examples = ShippedPrompts.Load();
        var categories = PromptTrainer.LearnableCategories(ModerationConsole.Policy.DefaultPolicy.Categories.Select(c => c.Name), examples).ToArray();
        var model = PromptTrainer.Train(examples.Where(e => !e.HeldOut).ToList(), categories, new TrainingSettings());
        var store = console.Service<ClassifierStore>();
        await store.RegisterAsync(model.Manifest("prompt-check", "1", "test"), model.ToOnnx(), storeBytes: true, metrics: null, Actor.Console, createdBy: null);
        await store.ActivateAsync("prompt-check", "1", Actor.Console);
        await console.Service<CheckRules>().RefreshNowAsync();

        var explicitPrompt = examples.First(e => e.HeldOut && e.Labels.Contains("sexual")).Prompt;
        var verdict = await AskAsync(Check("una", prompt: explicitPrompt));

        Assert.NotEqual(Verdicts.Allow, verdict.Verdict);
        Assert.Contains(verdict.Reasons, r => (r.Layer, r.Code, r.Category) == ("prompt_model", "prompt_score", "sexual"));
        Assert.Equal(Verdicts.Allow, (await AskAsync(Check("una", prompt: "a watercolour of a lighthouse at dusk"))).Verdict);

        // Its scores on checks are counted for the drift table, apart from its scores on items.
        await console.Service<CheckScoreTally>().FlushAsync();
        var drift = (await console.Service<DashboardReader>().DriftAsync()).Where(d => d.Source == "prompt-check@1" + ScoreDrift.OnChecks).ToList();
        Assert.Equal(categories.Order(), drift.Select(d => d.Category).Order());
        Assert.All(drift, d => Assert.Equal((0, 2), (d.LastWeekCount, d.ThisWeekCount)));
        Assert.Equal(1, drift.Single(d => d.Category == "sexual").ThisWeek[^3..].Sum());
    }

    [Fact]
    public async Task A_spike_of_refusals_has_the_accounts_next_generations_reviewed()
    {
        var (_, admin) = await console.PersonAsync(Roles.Admin);
        await console.Service<TermStore>().AddAsync(admin, "nudify", "sexual", "normalised", "deny", shadow: false);
        await console.Service<CheckRules>().RefreshNowAsync();
        var spike = CheckPolicy.Default.RefusalSpike!;

        for (var i = 1; i < spike.Refusals; i++) Assert.Equal(Verdicts.Deny, (await AskAsync(Check("probe", prompt: $"nudify attempt {i}"))).Verdict);
        Assert.Equal(Verdicts.Allow, (await AskAsync(Check("probe"))).Verdict);
        Assert.Equal(Verdicts.Deny, (await AskAsync(Check("probe", prompt: "nud1fy, last try"))).Verdict);

        var reviewed = await AskAsync(Check("probe"));
        Assert.Equal(Verdicts.AllowWithReview, reviewed.Verdict);
        Assert.Equal(("risk", "refusal_spike"), (reviewed.Reasons.Single().Layer, reviewed.Reasons.Single().Code));
        Assert.Contains($"At least {spike.Refusals} of the account's checks were refused in the last {spike.WithinMinutes} minutes", reviewed.Reasons.Single().Detail);
        Assert.Equal(Verdicts.Allow, (await AskAsync(Check("bystander"))).Verdict);

        // Another instance, reading the account afresh, sees the same spike from the stored checks.
        await using var second = await TestConsole.StartOnAsync(console.ConnectionString);
        using var secondHttp = ProducerClient.Http(second.BaseAddress, apiKey);
        var elsewhere = await secondHttp.PostAsJsonAsync("/api/v1/checks", Check("probe"));
        Assert.Equal(Verdicts.AllowWithReview, (await elsewhere.Content.ReadFromJsonAsync<CheckVerdict>())!.Verdict);
    }

    [Fact]
    public async Task An_edit_of_a_banked_image_is_denied_by_its_hash_or_its_pixels()
    {
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        var png = SyntheticImages.NoisyPng(256, 256, seed: 7);
        var hash = ImageFingerprint.TryHash(png)!.Value;
        Assert.True(console.Service<BlockBank>().IsUsable(hash), "the test image must be detailed enough to bank");
        await console.Service<BankAdministration>().ImportAsync(senior, hash.Hash.ToString(), ["sexual"], "known image");

        var byHash = await AskAsync(Check("val", features: ["image_edit"]) with { SourceImagePdq = hash.Hash.ToString() });
        Assert.Equal((Verdicts.Deny, "banked_source", "sexual"), (byHash.Verdict, byHash.Reasons.Single().Code, byHash.Reasons.Single().Category));
        var byPixels = await AskAsync(Check("val", features: ["image_edit"]) with { SourceImage = Convert.ToBase64String(png) });
        Assert.Equal(Verdicts.Deny, byPixels.Verdict);
        var other = await AskAsync(Check("val", features: ["image_edit"]) with { SourceImage = Convert.ToBase64String(SyntheticImages.NoisyPng(256, 256, seed: 8)) });
        Assert.Equal(Verdicts.Allow, other.Verdict);
    }

    [Fact]
    public async Task Bad_input_is_refused_naming_each_field_and_nothing_is_stored()
    {
        var response = await http.PostAsJsonAsync("/api/v1/checks",
            new CheckRequest(null, "", "no spaces!", false, "Germany", null, null, null, ["Photoreal People"], "not base64", "abc"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<FieldErrors>())!.Errors.Select(e => e.Field).ToHashSet();
        Assert.Superset(new HashSet<string> { "checkId", "userId", "userTier", "jurisdiction", "prompt", "features[0]", "sourceImagePdq" }, errors);

        var batch = await http.PostAsJsonAsync("/api/v1/checks/batch", new CheckBatch([Check("wes", checkId: "b-1"), Check("wes", checkId: "b-1"), Check("") with { CheckId = "b-2" }]));
        Assert.Equal(HttpStatusCode.BadRequest, batch.StatusCode);
        var batchErrors = (await batch.Content.ReadFromJsonAsync<FieldErrors>())!.Errors.Select(e => e.Field).ToList();
        Assert.Contains("checks[2].userId", batchErrors);
        Assert.Contains("checks", batchErrors);
        var malformed = await http.PostAsync("/api/v1/checks", new StringContent("{\"checkId\": 5}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);

        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from generation_checks"));
    }

    [Fact]
    public async Task A_batch_is_answered_in_order_and_the_hub_answers_the_same_call()
    {
        var batch = await http.PostAsJsonAsync("/api/v1/checks/batch",
            new CheckBatch([Check("xia", checkId: "x-1"), Check("xia", checkId: "x-2", features: ["adult"])]));
        var verdicts = (await batch.Content.ReadFromJsonAsync<CheckBatchVerdicts>())!.Verdicts;
        Assert.Equal([("x-1", Verdicts.Allow), ("x-2", Verdicts.RequireVerification)], verdicts.Select(v => (v.CheckId, v.Verdict)));

        var producer = await console.ProducerAsync();
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey);
        var viaHub = await client.InvokeRawAsync<CheckVerdict>("Check", Check("yan", checkId: "h-1", features: ["adult"]));
        Assert.Equal(("h-1", Verdicts.RequireVerification), (viaHub.CheckId, viaHub.Verdict));
    }

    [Fact]
    public async Task Old_checks_are_pruned_into_daily_counts()
    {
        for (var i = 0; i < 3; i++) await AskAsync(Check("zed"));
        await AskAsync(Check("zed", features: ["adult"]));
        await using (var owner = await console.OpenOwnerConnectionAsync())
            await owner.ExecuteAsync("update generation_checks set checked_at = now() - interval '40 days'");
        await AskAsync(Check("zed"));

        Assert.Equal(4, await console.Service<CheckPruning>().PruneAsync(CancellationToken.None));

        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from generation_checks"));
        var days = (await connection.QueryAsync<(string, long)>("select verdict, checks from generation_check_days order by verdict")).ToList();
        Assert.Equal([("allow", 3L), ("require_verification", 1L)], days);
    }

    [Fact]
    public async Task A_legal_hold_on_a_user_keeps_their_checks_from_pruning()
    {
        await AskAsync(Check("held-user"));
        await AskAsync(Check("other-user"));
        await using (var owner = await console.OpenOwnerConnectionAsync())
            await owner.ExecuteAsync("update generation_checks set checked_at = now() - interval '40 days'");
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        await console.Service<ModerationConsole.Retention.LegalHolds>().PlaceAsync(senior, "user", "held-user", producerId, "Preservation request 7.", null);

        Assert.Equal(1, await console.Service<CheckPruning>().PruneAsync(CancellationToken.None));

        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal("held-user", await connection.ExecuteScalarAsync<string>("select string_agg(user_id, ',') from generation_checks"));
    }
}
