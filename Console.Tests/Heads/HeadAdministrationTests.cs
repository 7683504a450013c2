using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Hosting;
using ModerationConsole.Accounts;
using ModerationConsole.Embeddings;
using ModerationConsole.Heads;
using ModerationConsole.Jobs;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Scoring;
using ModerationConsole.Tests.Hashing;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Heads;

/// <summary>
/// The jobs an admin starts from the Classifiers page (embedding past images, training heads), who may shadow, activate
/// and roll back a version, and what is refused with a reason.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class HeadAdministrationTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestConsole console = null!;

    // The model is in the folder, but new items are not scored: their images wait for the backfill.
    public async ValueTask InitializeAsync() =>
        console = await TestConsole.StartAsync(postgres, $"--Scoring:ModelsDirectory={DefaultModelFolder.Path}", "--Scoring:ExecutionProvider=cpu");

    public async ValueTask DisposeAsync() => await console.DisposeAsync();

    [Fact]
    public async Task The_backfill_job_embeds_past_images_and_training_without_enough_labels_registers_nothing_and_says_why()
    {
        await Eventually.TrueAsync(async () => await console.Service<EmbeddingBackfill>().BackboneAsync(default) is not null,
            () => "the default model was not activated");
        using var http = ProducerClient.Http(console.BaseAddress, (await console.ProducerAsync()).ApiKey);
        for (var seed = 0; seed < 3; seed++)
            await http.PostAsync("/api/v1/generations", System.Net.Http.Json.JsonContent.Create(new[]
            {
                GenerationBuilder.Queued().WithUser($"u{seed}").WithImage(TestPictures.Png(TestPictures.Draw(seed, 200, 150))).Build(),
            }));
        var admin = (await console.PersonAsync(Roles.Admin)).Principal;
        var jobs = console.Service<JobStore>();

        var backfill = await FinishedAsync(await jobs.StartAsync(admin, Policies.Admin, EmbeddingBackfillJob.JobKind, new { }));
        var training = await FinishedAsync(await jobs.StartAsync(admin, Policies.Admin, HeadTrainingJob.JobKind, HeadTrainingJob.Parameters(admin.UserId())));

        Assert.Equal(JobStates.Succeeded, backfill.State);
        Assert.Equal(3, JsonDocument.Parse(backfill.Result!).RootElement.GetProperty("embedded").GetInt32());
        await using var db = await console.OpenConnectionAsync();
        Assert.Equal(3, await db.ExecuteScalarAsync<int>("select count(*) from image_embeddings where backbone = @Source", new { DefaultModelFolder.Source }));
        Assert.Equal(JobStates.Succeeded, training.State);
        var result = JsonDocument.Parse(training.Result!).RootElement;
        Assert.Equal(JsonValueKind.Null, result.GetProperty("version").ValueKind);
        Assert.Contains("0 blocks for it; 200 needed", result.GetProperty("notTrained").EnumerateArray().Select(c => c.GetProperty("why").GetString()));
        Assert.DoesNotContain(await console.Service<ClassifierStore>().ListAsync(), v => v.IsHead);
    }

    [Fact]
    public async Task Labels_are_each_items_final_human_decision_an_overturn_replaces_a_block_and_automatic_or_restricted_decisions_are_none()
    {
        await Eventually.TrueAsync(async () => await console.Service<EmbeddingBackfill>().BackboneAsync(default) is not null,
            () => "the default model was not activated");
        await using var producer = await ProducerClient.ConnectAsync(console.BaseAddress, (await console.ProducerAsync()).ApiKey);
        async Task<long> SubmitAsync(GenerationBuilder builder, int seed) =>
            (await producer.SubmitAsync(builder.WithUser($"u{seed}").WithImage(TestPictures.Png(TestPictures.Draw(seed, 200, 150))).Build())).ItemId!.Value;
        var overturned = await SubmitAsync(GenerationBuilder.Queued(), 1);
        var restricted = await SubmitAsync(GenerationBuilder.Queued(), 2);
        var automatic = await SubmitAsync(GenerationBuilder.AutoBlocked(), 3);
        var moderator = (await console.PersonAsync(Roles.Moderator)).Principal;
        var senior = (await console.PersonAsync(Roles.Senior)).Principal;
        var claims = console.Service<ClaimService>();
        var review = console.Service<ModerationConsole.Review.ReviewActions>();
        await review.BlockAsync(moderator, (await claims.ClaimNextAsync(moderator, Queues.Standard))!, ["hate"], null);
        await review.DecideAsync(moderator, (await claims.ClaimNextAsync(moderator, Queues.Standard))!,
            ModerationConsole.Review.ReviewDecision.WithOutcome("approve_age_restricted", [], null));
        await using var db = await console.OpenConnectionAsync();
        var block = await db.ExecuteScalarAsync<long>("select id from decisions where item_id = @overturned", new { overturned });
        await console.Service<ModerationConsole.Review.Overturns>().OverturnAsync(senior, block, "approved", [], "a flag, not a hate symbol");
        var backfill = console.Service<EmbeddingBackfill>();
        await backfill.WalkAsync((await backfill.BackboneAsync(default))!, EmbeddingBackfill.AllMissing, ModerationConsole.Audit.Actor.Console, _ => Task.CompletedTask, default);

        var labels = await console.Service<HeadTraining>().LabelsAsync(DefaultModelFolder.Source);

        var label = Assert.Single(labels);
        Assert.Equal((overturned, true, false), (label.ItemId, label.Approved, label.LabelFor("hate")!.Value));
        Assert.DoesNotContain(labels, l => l.ItemId == restricted || l.ItemId == automatic);
    }

    [Fact]
    public async Task Only_an_admin_shadows_activates_or_rolls_back_and_a_version_in_no_such_state_is_refused_by_name()
    {
        var store = console.Service<ClassifierStore>();
        var moderator = (await console.PersonAsync(Roles.Senior)).Principal;
        var admin = (await console.PersonAsync(Roles.Admin)).Principal;
        await Eventually.TrueAsync(async () => (await store.ListAsync()).Any(v => v.Active), () => "the default model was not registered");
        var model = (await store.ListAsync()).Single(v => v.Active);

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => store.ShadowAsync(moderator, model.Name, model.Version));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => store.RollBackAsync(moderator, model.Name, model.Version));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => store.ActivateAsync(moderator, model.Name, model.Version));
        var unknown = await Assert.ThrowsAsync<InvalidOperationException>(() => store.ShadowAsync(admin, HeadTraining.ModelName, "9"));
        Assert.Contains("image-heads@9", unknown.Message);
        var active = await Assert.ThrowsAsync<InvalidOperationException>(() => store.ShadowAsync(admin, model.Name, model.Version));
        Assert.Contains("is active or already in shadow mode", active.Message);
        await using var db = await console.OpenConnectionAsync();
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("select count(*) from audit_log where action in ('classifier.shadowed', 'classifier.rolled_back')"));
    }

    [Fact]
    public async Task Past_images_are_embedded_by_a_job_started_once_an_hour_whichever_instance_gets_there_first()
    {
        var schedule = console.Service<IEnumerable<IHostedService>>().OfType<EmbeddingBackfillSchedule>().Single();

        Assert.True(await schedule.StartIfDueAsync(default));
        Assert.False(await schedule.StartIfDueAsync(default));

        await using var db = await console.OpenConnectionAsync();
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("select count(*) from jobs where kind = @JobKind", new { EmbeddingBackfillJob.JobKind }));
    }

    [Fact]
    public void Sexual_content_involving_minors_stays_always_human_whatever_the_policy_says()
    {
        var categories = DefaultPolicy.Categories
            .Select(c => c.Name == PolicyDocument.ChildSafetyCategory ? c with { AlwaysHuman = false } : c).ToList();

        var problems = new PolicyDocument(categories).Validate();

        Assert.Contains("category 'sexual_minors': alwaysHuman must stay on (a person decides every such item)", problems);
    }

    [Fact]
    public async Task Heads_settings_below_ten_labels_are_refused_at_start_naming_the_setting()
    {
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => TestConsole.StartAsync(postgres, "--Heads:MinimumPositives=1"));
        Assert.Contains("Heads:MinimumPositives", refused.Message);
    }

    private async Task<JobView> FinishedAsync(long id)
    {
        JobView? job = null;
        await Eventually.TrueAsync(async () => (job = await console.Service<JobStore>().FindAsync(id))!.Finished, within: TimeSpan.FromSeconds(120));
        return job!;
    }
}
