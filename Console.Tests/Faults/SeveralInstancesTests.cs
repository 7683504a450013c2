using System.Net;
using Dapper;
using Microsoft.Playwright;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Jobs;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Scoring;
using ModerationConsole.Scoring.Training;
using ModerationConsole.Tests.Browser;
using ModerationConsole.Tests.Infrastructure;
using Npgsql;

namespace ModerationConsole.Tests.Faults;

/// <summary>
/// Several console instances on one database, one of them killed with SIGKILL: what it was doing is taken up by the
/// others. A job it was running finishes on another instance, once; its moderators' claims return to the queue when
/// their lease ends; and a person signed in through it stays signed in on the others (one key ring, in PostgreSQL).
/// </summary>
[Trait(TestKind.Trait, TestKind.Faults)]
public sealed class SeveralInstancesTests(PostgresFixture postgres)
{
    private const int Items = 2_000, ChunkSize = 50;

    [Fact]
    public async Task A_job_on_a_killed_instance_finishes_once_on_another_where_its_signed_in_people_stay_signed_in()
    {
        var db = await postgres.CreateDatabaseAsync();
        // The office ingests, trains the version and enqueues the job; it works no jobs itself.
        await using var office = await TestConsole.StartOnAsync(db, "--Jobs:WorkerCount=0", "--Scoring:ExecutionProvider=cpu");
        await using (var producer = await ProducerClient.ConnectAsync(office.BaseAddress, (await office.ProducerAsync()).ApiKey))
        {
            for (var offset = 0; offset < Items; offset += 500)
                await producer.SubmitBatchAsync(Enumerable.Range(offset, 500)
                    .Select(i => GenerationBuilder.Queued().WithPrompt($"a heron standing in a reed bed, take {i}").Build()).ToArray());
        }
        var version = await office.Service<PromptModelService>().TrainAsync(Actor.Console, null, activate: true);
        var (moderator, _) = await office.PersonAsync(Roles.Moderator);

        var environment = ConsoleProcess.Database(db);
        environment["Scoring__ExecutionProvider"] = "cpu";
        environment["Scoring__RescoreChunkSize"] = ChunkSize.ToString();
        environment["Jobs__AbandonedAfter"] = "00:00:10";
        var killed = await ConsoleProcess.ServeAsync(OnItsOwnMachine(environment));
        try
        {
            // Signed in through the instance about to be killed; the cookie is the browser's for the host, whatever the port.
            var cookies = new CookieContainer();
            using (var throughKilled = await office.ClientAsync(moderator, cookies, killed.BaseAddress))
                Assert.Equal(HttpStatusCode.OK, (await throughKilled.GetAsync("/queue")).StatusCode);

            var jobs = office.Service<JobStore>();
            var jobId = await jobs.StartAsync(RescoreJob.JobKind, RescoreJob.Parameters(version.Name, version.Version), Actor.Console, null);
            await Eventually.TrueAsync(async () => (await jobs.FindAsync(jobId))!.Done >= ChunkSize,
                within: TimeSpan.FromSeconds(60), poll: TimeSpan.FromMilliseconds(20));
            // The other instance is up before the kill, as in a deployment of several; the job is already the first's.
            await using var survivor = await ConsoleProcess.ServeAsync(OnItsOwnMachine(environment));
            await killed.KillHardAsync();
            Assert.InRange((await jobs.FindAsync(jobId))!.Done, ChunkSize, Items - 1);

            using var throughSurvivor = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false })
            {
                BaseAddress = survivor.BaseAddress,
            };
            Assert.Equal(HttpStatusCode.OK, (await throughSurvivor.GetAsync("/queue")).StatusCode);

            JobView? job = null;
            await Eventually.TrueAsync(async () => (job = await jobs.FindAsync(jobId))!.Finished, within: TimeSpan.FromSeconds(180));
            Assert.Equal(JobStates.Succeeded, job!.State);
            Assert.Equal(job.Total, job.Done);
            await using var connection = new NpgsqlConnection(db);
            // Once: the runs' audited counts add up to the items, so the survivor skipped what the killed one had stored.
            Assert.Equal(Items, await connection.ExecuteScalarAsync<long>(
                "select coalesce(sum((details->>'scored')::int), 0) from audit_log where action = 'scoring.batch_scored'"));
        }
        finally
        {
            await killed.DisposeAsync();
        }
    }

    /// <summary>
    /// A home directory of its own, as a container or another host has: ASP.NET Core would otherwise keep its keys in
    /// the one home every process on this machine shares, and two instances would agree for that reason alone.
    /// </summary>
    private static Dictionary<string, string> OnItsOwnMachine(Dictionary<string, string> environment) => new(environment)
    {
        ["HOME"] = Directory.CreateTempSubdirectory("console-home-").FullName,
    };

    [Fact]
    public async Task A_killed_instances_claim_returns_to_the_queue_when_its_lease_ends_and_another_instance_hands_it_out()
    {
        var db = await postgres.CreateDatabaseAsync();
        await using var office = await TestConsole.StartOnAsync(db);
        await using (var producer = await ProducerClient.ConnectAsync(office.BaseAddress, (await office.ProducerAsync()).ApiKey))
            await producer.SubmitAsync(GenerationBuilder.Queued().WithPrompt("a lighthouse in fog").Build());
        var (first, _) = await office.PersonAsync(Roles.Moderator);
        var (_, second) = await office.PersonAsync(Roles.Moderator);

        var killed = await ConsoleProcess.ServeAsync(db, "--Queue:LeaseDuration=00:00:05");
        try
        {
            await using (var browser = await BrowserSession.StartAsync(killed.BaseAddress))
            {
                await browser.SignInAsync(first.Email, TestData.Password);
                await browser.Page.GetByTestId("next-standard").ClickAsync();
                await Assertions.Expect(browser.Page.GetByTestId("prompt")).ToContainTextAsync("a lighthouse in fog");
                await killed.KillHardAsync();
            }

            var claims = office.Service<ClaimService>();
            Assert.Null(await claims.ClaimNextAsync(second, Queues.Standard));
            ItemClaim? taken = null;
            await Eventually.TrueAsync(async () => (taken = await claims.ClaimNextAsync(second, Queues.Standard)) is not null,
                within: TimeSpan.FromSeconds(30), poll: TimeSpan.FromMilliseconds(250));
            await using var connection = await office.OpenConnectionAsync();
            Assert.Equal("a lighthouse in fog", await connection.ExecuteScalarAsync<string>(
                "select prompt from review_items where id = @ItemId", new { taken!.ItemId }));
        }
        finally
        {
            await killed.DisposeAsync();
        }
    }
}
