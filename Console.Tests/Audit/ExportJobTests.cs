using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Audit.Exports;
using ModerationConsole.Ingest;
using ModerationConsole.Jobs;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Audit;

/// <summary>Exports too large to send directly run as Hangfire jobs: progress, a file, a download link, all audited.</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class ExportJobTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestConsole console = null!;

    public async ValueTask InitializeAsync()
    {
        // Three decisions, and a direct-download limit of two rows: every full export here is "large".
        console = await TestConsole.StartAsync(postgres, "--Audit:DirectExportMaxRows=2");
        var producer = await console.ProducerAsync("image-platform");
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey);
        var receipts = await client.SubmitBatchAsync(
        [
            GenerationBuilder.AutoBlocked().Build(),
            GenerationBuilder.AutoBlocked().Build(),
            GenerationBuilder.AutoApproved().Build(),
        ]);
        Assert.All(receipts, r => Assert.Equal(ReceiptStatus.Accepted, r.Status));
    }

    public async ValueTask DisposeAsync() => await console.DisposeAsync();

    [Fact]
    public async Task A_direct_download_over_the_limit_is_refused_with_the_way_to_get_it()
    {
        using var auditor = await console.ClientAsync(Roles.Auditor);

        var tooLarge = await auditor.GetAsync("/audit/export/decisions.csv");
        var narrowed = await auditor.GetAsync("/audit/export/decisions.csv?decision=approved");

        Assert.Equal(HttpStatusCode.Conflict, tooLarge.StatusCode);
        Assert.Contains("prepare the export as a job", await tooLarge.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, narrowed.StatusCode);
    }

    [Fact]
    public async Task An_export_job_writes_the_file_reports_progress_and_its_download_matches_the_database()
    {
        var (auditor, principal) = await console.PersonAsync(Roles.Auditor);
        var jobs = console.Service<JobStore>();

        var jobId = await jobs.StartAsync(ExportJob.JobKind, ExportJob.Parameters("decisions", "json", new AuditFilter()),
            Actor.User(auditor.Id), auditor.Id);
        var job = await WaitUntilFinishedAsync(jobId);

        Assert.Equal(JobStates.Succeeded, job.State);
        Assert.Equal(3, job.Total);
        Assert.Equal(3, job.Done);
        var file = ExportJob.ResultOf(job)!;
        Assert.Equal(3, file.Rows);

        using var client = await console.ClientAsync(Roles.Auditor);
        var bytes = await client.GetByteArrayAsync(ExportEndpoints.JobFileUrl(jobId));
        Assert.Equal(file.Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        await using var connection = await console.OpenConnectionAsync();
        var expected = (await connection.QueryAsync<long>("select id from decisions order by id")).ToList();
        var exported = JsonDocument.Parse(bytes).RootElement.EnumerateArray().Select(d => d.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(expected, exported);

        var actions = (await connection.QueryAsync<string>(
            "select action from audit_log where action in ('job.requested', 'job.finished', 'export.downloaded') order by id")).ToList();
        Assert.Equal(["job.requested", "job.finished", "export.downloaded"], actions);
    }

    [Fact]
    public async Task A_job_file_is_not_served_before_the_job_finished_nor_to_a_moderator()
    {
        var (auditor, _) = await console.PersonAsync(Roles.Auditor);
        await using (var connection = await console.OpenConnectionAsync())
        {
            // A job row that no worker will pick up (never handed to Hangfire).
            var jobId = await connection.ExecuteScalarAsync<long>(
                "insert into jobs (kind, parameters, requested_by, hangfire_id) values ('export', '{}', @id, 'none') returning id", new { id = auditor.Id });
            using var client = await console.ClientAsync(Roles.Auditor);
            using var moderator = await console.ClientAsync(Roles.Moderator);

            var early = await client.GetAsync(ExportEndpoints.JobFileUrl(jobId));
            var forbidden = await moderator.GetAsync(ExportEndpoints.JobFileUrl(jobId));

            Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        }
    }

    [Fact]
    public async Task A_queued_job_can_be_cancelled_and_the_cancel_is_audited()
    {
        var (admin, _) = await console.PersonAsync(Roles.Admin);
        await using var connection = await console.OpenConnectionAsync();
        var jobId = await connection.ExecuteScalarAsync<long>(
            "insert into jobs (kind, parameters, hangfire_id) values ('export', '{}', 'none') returning id");
        var jobs = console.Service<JobStore>();

        Assert.True(await jobs.RequestCancelAsync(jobId, Actor.User(admin.Id)));
        Assert.False(await jobs.RequestCancelAsync(jobId, Actor.User(admin.Id)));

        Assert.Equal(JobStates.Cancelled, (await jobs.FindAsync(jobId))!.State);
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'job.cancel_requested'"));
    }

    [Fact]
    public async Task A_job_recorded_but_never_enqueued_is_recovered_and_run()
    {
        long jobId;
        await using (var connection = await console.OpenConnectionAsync())
        {
            // What a crash between "recorded" and "enqueued" leaves behind.
            jobId = await connection.ExecuteScalarAsync<long>(
                """
                insert into jobs (kind, parameters, requested_at)
                values ('export', '{"kind":"audit-log","format":"csv","filter":{}}', now() - interval '2 minutes') returning id
                """);
        }
        // Recovery runs when a console starts: a second console on the same database plays the restarted one.
        await using var restarted = await TestConsole.StartOnAsync(console.ConnectionString);

        var job = await WaitUntilFinishedAsync(jobId);

        Assert.Equal(JobStates.Succeeded, job.State);
        Assert.True(ExportJob.ResultOf(job)!.Rows > 0);
    }

    private async Task<JobView> WaitUntilFinishedAsync(long jobId)
    {
        var jobs = console.Service<JobStore>();
        JobView? job = null;
        await Eventually.TrueAsync(async () => (job = await jobs.FindAsync(jobId)) is { Finished: true }, within: TimeSpan.FromSeconds(30));
        return job!;
    }
}
