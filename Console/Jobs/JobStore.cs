using System.Security.Claims;
using System.Text.Json;
using Dapper;
using Hangfire;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using Npgsql;

namespace ModerationConsole.Jobs;

/// <summary>
/// The console's record of background jobs. A job row is written with its audit entry in one transaction, then handed
/// to Hangfire; <see cref="JobRecovery"/> hands over any row a crash left between the two, so no request is lost.
/// </summary>
public sealed class JobStore(Db db, IBackgroundJobClient hangfire, IEnumerable<IJobHandler> handlers)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string Columns =
        """
        j.id, j.kind, j.parameters::text as parameters, j.state, j.requested_by as requestedby, u.email as requestedbyemail,
        j.requested_at as requestedat, j.total, j.done, j.started_at as startedat, j.progress_at as progressat,
        j.finished_at as finishedat, j.cancel_requested as cancelrequested, j.error, j.result::text as result
        """;

    private const string Tables = "jobs j left join users u on u.id = j.requested_by";

    /// <summary>A person starts a job that their role's <paramref name="policy"/> allows; anyone else is refused here.</summary>
    public Task<long> StartAsync(ClaimsPrincipal user, string policy, string kind, object parameters, CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(policy);
        return StartAsync(kind, parameters, Actor.User(userId), userId, ct);
    }

    /// <summary>An admin cancels a job (the Jobs and Classifiers pages); anyone else is refused here.</summary>
    public Task<bool> RequestCancelAsync(ClaimsPrincipal admin, long id, CancellationToken ct = default) =>
        RequestCancelAsync(id, admin.ActorUnder(Policies.Admin), ct);

    /// <summary>Records the job (audited as <c>job.requested</c>) and enqueues it on its handler's queue.</summary>
    public async Task<long> StartAsync(string kind, object parameters, Actor actor, long? requestedBy, CancellationToken ct = default)
    {
        var handler = Handler(kind);
        var json = JsonSerializer.Serialize(parameters, Json);
        var id = await db.InTransactionAsync(async (connection, transaction) =>
        {
            var jobId = await connection.ExecuteScalarAsync<long>(
                "insert into jobs (kind, parameters, requested_by) values (@kind, @json::jsonb, @requestedBy) returning id",
                new { kind, json, requestedBy }, transaction);
            await AuditLog.AppendAsync(connection, transaction, actor, AuditActions.JobRequested,
                details: new { jobId, kind, parameters = JsonDocument.Parse(json).RootElement });
            return jobId;
        }, ct);
        await EnqueueAsync(id, handler.Queue, ct);
        return id;
    }

    internal async Task EnqueueAsync(long jobId, string queue, CancellationToken ct)
    {
        var hangfireId = hangfire.Enqueue<JobDispatcher>(queue, dispatcher => dispatcher.RunAsync(jobId, CancellationToken.None));
        await db.InTransactionAsync(
            (connection, transaction) => connection.ExecuteAsync("update jobs set hangfire_id = @hangfireId where id = @jobId",
                new { hangfireId, jobId }, transaction), ct);
    }

    internal IJobHandler Handler(string kind) =>
        handlers.FirstOrDefault(h => h.Kind == kind) ?? throw new InvalidOperationException($"No job handler for kind '{kind}'.");

    public Task<JobView?> FindAsync(long id, CancellationToken ct = default) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<JobView>($"select {Columns} from {Tables} where j.id = @id", new { id }), ct);

    /// <summary>The newest jobs, optionally of some kinds only.</summary>
    public Task<IReadOnlyList<JobView>> RecentAsync(int limit, IReadOnlyCollection<string>? kinds = null, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<JobView>>(async c => (await c.QueryAsync<JobView>(
            $"select {Columns} from {Tables} where (@kinds::text[] is null or j.kind = any(@kinds)) order by j.id desc limit @limit",
            new { limit, kinds = kinds?.ToArray() })).AsList(), ct);

    /// <summary>Asks a queued or running job to stop at its next progress report; audited. False when it already ended.</summary>
    public Task<bool> RequestCancelAsync(long id, Actor actor, CancellationToken ct = default) =>
        db.InTransactionAsync(async (connection, transaction) =>
        {
            var state = await connection.ExecuteScalarAsync<string?>(
                """
                update jobs set cancel_requested = true,
                    -- A job no worker has started yet is cancelled at once; a running one stops at its next report.
                    state = case when state = 'queued' then 'cancelled' else state end,
                    finished_at = case when state = 'queued' then now() else finished_at end
                where id = @id and state in ('queued', 'running')
                returning state
                """, new { id }, transaction);
            if (state is null) return false;
            await AuditLog.AppendAsync(connection, transaction, actor, AuditActions.JobCancelRequested, details: new { jobId = id });
            return true;
        }, ct);

    // The transitions below are the runner's; each is one guarded UPDATE so a stale worker cannot revive a finished job.

    internal Task<JobView?> BeginAsync(long id, CancellationToken ct) =>
        db.InTransactionAsync((connection, transaction) => connection.QuerySingleOrDefaultAsync<JobView>(
            $"""
            with started as (
                update jobs set state = 'running', started_at = now(), progress_at = now(), done = 0, error = null
                where id = @id and state in ('queued', 'running') and not cancel_requested
                returning *)
            select {Columns} from started j left join users u on u.id = j.requested_by
            """, new { id }, transaction), ct);

    /// <summary>Stores progress; returns whether cancellation was asked for.</summary>
    internal Task<bool> ReportAsync(long id, long done, long? total, CancellationToken ct) =>
        db.InTransactionAsync((connection, transaction) => connection.ExecuteScalarAsync<bool>(
            """
            update jobs set done = @done, total = coalesce(@total, total), progress_at = now()
            where id = @id and state = 'running'
            returning cancel_requested
            """, new { id, done, total }, transaction), ct);

    internal Task FinishAsync(long id, string state, object? result, string? error, CancellationToken ct) =>
        db.InTransactionAsync(async (connection, transaction) =>
        {
            var kind = await connection.ExecuteScalarAsync<string?>(
                """
                update jobs set state = @state, finished_at = now(), progress_at = now(), result = @result::jsonb, error = @error
                where id = @id and state = 'running'
                returning kind
                """, new { id, state, result = result is null ? null : JsonSerializer.Serialize(result, Json), error }, transaction);
            if (kind is not null)
                await AuditLog.AppendAsync(connection, transaction, Actor.Console, AuditActions.JobFinished,
                    details: new { jobId = id, kind, state, error });
            return 0;
        }, ct);

    /// <summary>Rows written but never handed to Hangfire (a crash between the two steps of <see cref="StartAsync"/>).</summary>
    internal Task<IReadOnlyList<(long Id, string Kind)>> OrphansAsync(TimeSpan olderThan, CancellationToken ct) =>
        db.ReadAsync<IReadOnlyList<(long, string)>>(async c => (await c.QueryAsync<(long, string)>(
            "select id, kind from jobs where state = 'queued' and hangfire_id is null and requested_at < now() - @olderThan order by id",
            new { olderThan })).AsList(), ct);
}
