using System.Net;
using Dapper;
using Microsoft.Playwright;
using ModerationConsole.Accounts;
using ModerationConsole.Jobs;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Tests.Browser;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Faults;

/// <summary>
/// Several console instances on one database, one of them killed with SIGKILL: what it was doing is taken up by the
/// others. A job it was running finishes on another instance, once; its moderators' claims return to the queue when
/// their lease ends; and a person signed in through it stays signed in on the others (one key ring, in PostgreSQL).
/// </summary>
[Trait(TestKind.Trait, TestKind.Faults)]
public sealed class SeveralInstancesTests(PostgresFixture postgres)
{
    private const int Items = 3_000, ChunkSize = 50;

    [Fact]
    public async Task A_job_on_a_killed_instance_finishes_once_on_another_where_its_signed_in_people_stay_signed_in()
    {
        // The office ingests, trains the version and enqueues the job; it works no jobs itself.
        await using var backlog = await RescoreBacklog.CreateAsync(postgres, Items, "a heron standing in a reed bed");
        var (moderator, _) = await backlog.Office.PersonAsync(Roles.Moderator);
        var environment = backlog.WorkerEnvironment(ChunkSize);
        // Two instances, as in a deployment: whichever takes the job is the one killed.
        await using var first = await ConsoleProcess.ServeAsync(OnItsOwnMachine(environment));
        await using var second = await ConsoleProcess.ServeAsync(OnItsOwnMachine(environment));
        // Signed in through each; the cookie is the browser's for the host, whatever the port, so each has its own jar.
        var cookies = new Dictionary<RunningConsole, CookieContainer> { [first] = new(), [second] = new() };
        foreach (var (instance, jar) in cookies)
        {
            using var through = await backlog.Office.ClientAsync(moderator, jar, instance.BaseAddress);
            Assert.Equal(HttpStatusCode.OK, (await through.GetAsync("/queue")).StatusCode);
        }

        var jobId = await backlog.StartRescoreAsync(done: ChunkSize);
        var killed = await RunningTheJobAsync(backlog, jobId, first, second);
        await killed.KillHardAsync();
        var survivor = killed == first ? second : first;
        Assert.InRange((await backlog.Office.Service<JobStore>().FindAsync(jobId))!.Done, ChunkSize, Items - 1);

        // The cookie the killed instance issued works on the survivor.
        using var throughSurvivor = new HttpClient(new HttpClientHandler { CookieContainer = cookies[killed], AllowAutoRedirect = false })
        {
            BaseAddress = survivor.BaseAddress,
        };
        Assert.Equal(HttpStatusCode.OK, (await throughSurvivor.GetAsync("/queue")).StatusCode);

        var job = await backlog.FinishedAsync(jobId, within: TimeSpan.FromSeconds(180));
        Assert.Equal(JobStates.Succeeded, job.State);
        Assert.Equal(job.Total, job.Done);
        // Once: the runs' audited counts add up to the items, so the survivor skipped what the killed one had stored.
        Assert.Equal(Items, await backlog.AuditedScoredAsync());
    }

    /// <summary>The instance whose Hangfire server is processing the job (Hangfire names a server after its process id).</summary>
    private static async Task<RunningConsole> RunningTheJobAsync(RescoreBacklog backlog, long jobId, params RunningConsole[] instances)
    {
        await using var connection = await backlog.Office.OpenOwnerConnectionAsync();
        var server = await connection.ExecuteScalarAsync<string>(
            """
            select s.data::jsonb->>'ServerId' from hangfire.state s join jobs c on c.hangfire_id = s.jobid::text
            where c.id = @jobId and s.name = 'Processing' order by s.id desc limit 1
            """, new { jobId });
        return instances.Single(i => server?.Contains($":{i.ProcessId}:", StringComparison.Ordinal) == true);
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
