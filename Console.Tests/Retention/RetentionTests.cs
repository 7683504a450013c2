using Dapper;
using Microsoft.Extensions.Hosting;
using ModerationConsole.Accounts;
using ModerationConsole.Jobs;
using ModerationConsole.Retention;
using ModerationConsole.Tests.Hashing;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Retention;

/// <summary>
/// Retention removes decided content once its days are up, keeps hashes, audits what it removed, and never touches what
/// a legal hold covers, even when the hold is placed while the purge runs.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class RetentionTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres, "--Retention:ChunkSize=2")
{
    private RetentionPurge Purge => console.Service<RetentionPurge>();

    /// <summary>Decided items (automatically: approved or blocked), their decisions dated <paramref name="daysAgo"/> days back.</summary>
    private async Task<long[]> DecidedAsync(int count, bool blocked, int daysAgo, string user = "user-1")
    {
        var ids = new List<long>();
        for (var i = 0; i < count; i++)
        {
            var builder = blocked ? GenerationBuilder.AutoBlocked() : GenerationBuilder.AutoApproved();
            ids.Add((await producer.SubmitAsync(builder.WithUser(user).Build())).ItemId!.Value);
        }
        await using var connection = await console.OpenConnectionAsync();
        await connection.ExecuteAsync("update decisions set decided_at = now() - make_interval(days => @daysAgo) where item_id = any(@ids)",
            new { daysAgo, ids = ids.ToArray() });
        return [.. ids];
    }

    private async Task<object?> RunPurgeAsync()
    {
        await using var connection = await console.OpenConnectionAsync();
        var jobId = await connection.ExecuteScalarAsync<long>("insert into jobs (kind, parameters) values ('retention', '{}') returning id");
        using var parameters = System.Text.Json.JsonDocument.Parse("{}");
        return await Purge.RunAsync(new JobContext(jobId, parameters.RootElement.Clone(), (_, _) => Task.FromResult(false), CancellationToken.None));
    }

    private async Task<(long[] ImagesGone, long[] PromptsGone)> GoneAsync(long[] ids)
    {
        await using var connection = await console.OpenConnectionAsync();
        var images = (await connection.QueryAsync<long>(
            "select r.id from review_items r join images i on i.sha256 = r.image_sha256 where r.id = any(@ids) and i.bytes is null order by r.id", new { ids })).ToArray();
        var prompts = (await connection.QueryAsync<long>(
            "select id from review_items where id = any(@ids) and prompt = '' and content_purged_at is not null order by id", new { ids })).ToArray();
        return (images, prompts);
    }

    [Fact]
    public async Task Content_past_its_days_is_removed_hashes_stay_and_each_chunk_is_audited_with_what_it_removed()
    {
        // Defaults: approved images 90 days, blocked images 365, prompts 365.
        var oldApproved = await DecidedAsync(3, blocked: false, daysAgo: 100);
        var recentApproved = await DecidedAsync(1, blocked: false, daysAgo: 10);
        var oldBlocked = await DecidedAsync(1, blocked: true, daysAgo: 100);
        var ancient = await DecidedAsync(1, blocked: true, daysAgo: 400);
        var (_, admin) = await console.PersonAsync(Roles.Admin);
        var preview = await console.Service<RetentionPolicies>().PreviewAsync(admin);
        Assert.Equal((4L, 1L), (preview.Images, preview.Prompts));

        await RunPurgeAsync();

        var (images, prompts) = await GoneAsync([.. oldApproved, .. recentApproved, .. oldBlocked, .. ancient]);
        Assert.Equal([.. oldApproved, .. ancient], images);
        Assert.Equal(ancient, prompts);
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>(
            "select count(*) from images i join review_items r on r.image_sha256 = i.sha256 where r.id = any(@ids) and i.pdq is null", new { ids = images }));
        var audited = await connection.QueryAsync<(int Images, int Prompts)>(
            "select (details ->> 'images')::int, (details ->> 'prompts')::int from audit_log where action = 'retention.purged'");
        Assert.Equal((4, 1), (audited.Sum(a => a.Images), audited.Sum(a => a.Prompts)));
        Assert.DoesNotContain("lighthouse", await connection.ExecuteScalarAsync<string>(
            "select string_agg(details::text, ' ') from audit_log where action = 'retention.purged'"));

        // A second run finds nothing more to remove and writes no entry.
        await RunPurgeAsync();
        Assert.Equal(audited.Count(), await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'retention.purged'"));
    }

    [Fact]
    public async Task An_image_shared_by_several_items_stays_while_any_of_them_keeps_it()
    {
        using var picture = TestPictures.Draw(seed: 501);
        var bytes = TestPictures.Png(picture);
        var old = (await producer.SubmitAsync(GenerationBuilder.AutoApproved().WithImage(bytes).Build())).ItemId!.Value;
        var recent = (await producer.SubmitAsync(GenerationBuilder.AutoApproved().WithImage(bytes).Build())).ItemId!.Value;
        await using var connection = await console.OpenConnectionAsync();
        await connection.ExecuteAsync("update decisions set decided_at = now() - interval '100 days' where item_id = @old", new { old });

        await RunPurgeAsync();
        Assert.Empty((await GoneAsync([old, recent])).ImagesGone);

        await connection.ExecuteAsync("update decisions set decided_at = now() - interval '100 days' where item_id = @recent", new { recent });
        await RunPurgeAsync();
        Assert.Equal([old, recent], (await GoneAsync([old, recent])).ImagesGone);
    }

    [Fact]
    public async Task Held_items_users_and_cases_are_never_purged()
    {
        var heldItem = await DecidedAsync(1, blocked: true, daysAgo: 400);
        var heldUser = await DecidedAsync(2, blocked: true, daysAgo: 400, user: "user-held");
        var free = await DecidedAsync(1, blocked: true, daysAgo: 400);
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        var holds = console.Service<LegalHolds>();
        await holds.PlaceAsync(senior, HoldScopes.Item, heldItem[0].ToString(), null, "Subpoena 24-118.", null);
        var producerId = (await console.Service<ModerationConsole.Producers.ProducerStore>().ListAsync())[0].Id;
        await holds.PlaceAsync(senior, HoldScopes.User, "user-held", producerId, "Law enforcement preservation request.", DateTimeOffset.UtcNow.AddDays(90));
        var noReason = await Assert.ThrowsAsync<HoldException>(() => holds.PlaceAsync(senior, HoldScopes.Item, free[0].ToString(), null, "", null));
        Assert.StartsWith("reason:", noReason.Message);
        var past = await Assert.ThrowsAsync<HoldException>(() => holds.PlaceAsync(senior, HoldScopes.Item, free[0].ToString(), null, "x", DateTimeOffset.UtcNow.AddDays(-1)));
        Assert.StartsWith("endsAt:", past.Message);

        await RunPurgeAsync();

        var (images, prompts) = await GoneAsync([.. heldItem, .. heldUser, .. free]);
        Assert.Equal(free, images);
        Assert.Equal(free, prompts);
    }

    [Fact]
    public async Task A_hold_placed_while_the_purge_runs_keeps_everything_it_covers()
    {
        // Chunks of two items: the hold is placed after the first chunk, on an item of a later one.
        var items = await DecidedAsync(6, blocked: true, daysAgo: 400);
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        Purge.BeforeChunk = async after =>
        {
            if (after == items[1])
                await console.Service<LegalHolds>().PlaceAsync(senior, HoldScopes.Item, items[4].ToString(), null, "Preservation letter arrived.", null);
        };
        try { await RunPurgeAsync(); }
        finally { Purge.BeforeChunk = null; }

        Assert.Equal([items[0], items[1], items[2], items[3], items[5]], (await GoneAsync(items)).ImagesGone);
    }

    [Fact]
    public async Task A_purge_chunk_waits_for_a_hold_being_placed_and_then_honours_it()
    {
        var items = await DecidedAsync(2, blocked: true, daysAgo: 400);
        // The hold's transaction holds the retention lock exclusively until it commits; the purge must wait for it.
        await using var connection = await console.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await LegalHolds.PlaceAsync(connection, transaction, ModerationConsole.Audit.Actor.Console, null, HoldScopes.Item, null, null, null, items[0],
            "Held while the purge runs.", null);
        var purge = RunPurgeAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(purge.IsCompleted, "the purge did not wait for the hold's transaction");
        await transaction.CommitAsync();
        await purge;

        Assert.Equal([items[1]], (await GoneAsync(items)).ImagesGone);
    }

    [Fact]
    public async Task The_schedule_starts_one_purge_a_day_which_runs_as_a_background_job()
    {
        var old = await DecidedAsync(1, blocked: false, daysAgo: 100);
        var schedule = console.Services.GetServices<IHostedService>().OfType<RetentionSchedule>().Single();

        Assert.True(await schedule.StartIfDueAsync(CancellationToken.None));
        Assert.False(await schedule.StartIfDueAsync(CancellationToken.None));

        await using var connection = await console.OpenConnectionAsync();
        await Eventually.TrueAsync(async () => await connection.ExecuteScalarAsync<string>("select state from jobs where kind = 'retention'") == JobStates.Succeeded,
            () => "the purge job did not succeed");
        Assert.Equal(old, (await GoneAsync(old)).ImagesGone);
    }

    [Fact]
    public async Task Admins_set_the_policy_with_errors_naming_the_field_and_the_change_is_audited()
    {
        var (_, admin) = await console.PersonAsync(Roles.Admin);
        var policies = console.Service<RetentionPolicies>();

        var bad = await Assert.ThrowsAsync<RetentionException>(() => policies.SaveAsync(admin, new RetentionPolicy(0, 30, null)));
        Assert.StartsWith("approvedImageDays:", bad.Message);
        await policies.SaveAsync(admin, new RetentionPolicy(30, null, 180));

        Assert.Equal(new RetentionPolicy(30, null, 180), await policies.ReadAsync());
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(180, await connection.ExecuteScalarAsync<int>(
            "select (details -> 'after' ->> 'promptDays')::int from audit_log where action = 'retention.policy_changed'"));
    }
}
