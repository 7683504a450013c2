using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Jobs;
using ModerationConsole.Scoring;
using ModerationConsole.Scoring.Training;
using ModerationConsole.Tests.Infrastructure;
using Npgsql;

namespace ModerationConsole.Tests.Faults;

/// <summary>
/// Where the re-scoring fault tests start: a fresh database with a backlog of queued items and an active, freshly
/// trained prompt model version. The in-process "office" console that made them works no jobs, so the console
/// processes a test starts with <see cref="WorkerEnvironment"/> are the only workers, and a test can kill them.
/// </summary>
public sealed class RescoreBacklog : IAsyncDisposable
{
    private RescoreBacklog(string database, TestConsole office, TrainedPromptModel version)
    {
        Database = database;
        Office = office;
        Version = version;
    }

    public string Database { get; }
    public TestConsole Office { get; }
    public TrainedPromptModel Version { get; }

    /// <summary>The source name the version's scores are stored under.</summary>
    public string Source => $"{Version.Name}@{Version.Version}";

    public static async Task<RescoreBacklog> CreateAsync(PostgresFixture postgres, int items, string prompt)
    {
        var database = await postgres.CreateDatabaseAsync();
        var office = await TestConsole.StartOnAsync(database, "--Jobs:WorkerCount=0", "--Scoring:ExecutionProvider=cpu");
        await using (var producer = await ProducerClient.ConnectAsync(office.BaseAddress, (await office.ProducerAsync()).ApiKey))
        {
            for (var offset = 0; offset < items; offset += 500)
                await producer.SubmitBatchAsync(Enumerable.Range(offset, 500)
                    .Select(i => GenerationBuilder.Queued().WithPrompt($"{prompt}, take {i}").Build()).ToArray());
        }
        var version = await office.Service<PromptModelService>().TrainAsync(Actor.Console, null, activate: true);
        return new RescoreBacklog(database, office, version);
    }

    /// <summary>A worker's settings: CPU scoring in chunks of <paramref name="chunkSize"/>, a dead worker's job handed out after 10 s.</summary>
    public Dictionary<string, string> WorkerEnvironment(int chunkSize)
    {
        var environment = ConsoleProcess.Database(Database);
        environment["Scoring__ExecutionProvider"] = "cpu";
        environment["Scoring__RescoreChunkSize"] = chunkSize.ToString();
        environment["Jobs__AbandonedAfter"] = "00:00:10";
        return environment;
    }

    /// <summary>Starts the re-score job and waits until it has stored at least <paramref name="done"/> items.</summary>
    public async Task<long> StartRescoreAsync(int done)
    {
        var jobs = Office.Service<JobStore>();
        var jobId = await jobs.StartAsync(RescoreJob.JobKind, RescoreJob.Parameters(Version.Name, Version.Version), Actor.Console, null);
        await Eventually.TrueAsync(async () => (await jobs.FindAsync(jobId))!.Done >= done,
            within: TimeSpan.FromSeconds(60), poll: TimeSpan.FromMilliseconds(20));
        return jobId;
    }

    /// <summary>The job once it has finished, however many workers it took, waiting at most <paramref name="within"/>.</summary>
    public async Task<JobView> FinishedAsync(long jobId, TimeSpan within)
    {
        JobView? job = null;
        await Eventually.TrueAsync(async () => (job = await Office.Service<JobStore>().FindAsync(jobId))!.Finished, within: within);
        return job!;
    }

    /// <summary>The items the runs' audit entries say they scored, added up over every run of the job.</summary>
    public async Task<long> AuditedScoredAsync()
    {
        await using var connection = new NpgsqlConnection(Database);
        return await connection.ExecuteScalarAsync<long>(
            "select coalesce(sum((details->>'scored')::int), 0) from audit_log where action = 'scoring.batch_scored'");
    }

    public ValueTask DisposeAsync() => Office.DisposeAsync();
}
