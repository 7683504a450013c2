using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Jobs;

namespace ModerationConsole.Retention;

/// <summary>
/// The retention purge, a job: walks decided items in id order, a chunk per transaction, and removes what the policy no
/// longer keeps: image bytes (an image shared by several items only once none of them keeps it) and prompts with the
/// producer's metadata. Hashes stay, in the images table and in the audit log; content never enters the audit log. Each
/// chunk is audited with what it removed. It resumes where a crashed run stopped, since removed content is not removed
/// again. Each chunk takes the retention lock shared (<see cref="LegalHolds.RetentionLock"/>) before it reads the holds.
/// </summary>
public sealed class RetentionPurge(Db db, Microsoft.Extensions.Options.IOptions<RetentionOptions> options) : IJobHandler
{
    public const string JobKind = "retention";
    public const string Purged = "retention.purged";

    public string Kind => JobKind;
    public string Queue => JobQueues.Default;

    /// <summary>Runs before each chunk's transaction; lets a test place a hold while the purge runs.</summary>
    internal Func<long, Task>? BeforeChunk { get; set; }

    public async Task<object?> RunAsync(JobContext context)
    {
        var ct = context.CancellationToken;
        var total = await db.ReadAsync(c => c.ExecuteScalarAsync<long>("select count(*) from review_items where status = 'decided'"), ct);
        await context.ReportAsync(0, total);
        var chunkSize = Math.Max(1, options.Value.ChunkSize);
        long after = 0, done = 0, images = 0, prompts = 0;
        while (true)
        {
            if (BeforeChunk is { } hook) await hook(after);
            var chunk = await db.InTransactionAsync(async (connection, transaction) =>
            {
                await connection.ExecuteAsync("select pg_advisory_xact_lock_shared(@RetentionLock)", new { LegalHolds.RetentionLock }, transaction);
                var policy = await connection.QuerySingleAsync<RetentionPolicy>(RetentionPolicies.SelectSql, transaction: transaction);
                var range = await connection.QuerySingleAsync<(long? Last, int Count)>(
                    "select max(id), count(*)::int from (select id from review_items where status = 'decided' and id > @after order by id limit @chunkSize) c",
                    new { after, chunkSize }, transaction);
                if (range.Count == 0) return (Last: after, Count: 0, Images: Array.Empty<string>(), Items: Array.Empty<long>());
                var purgedImages = (await connection.QueryAsync<string>(
                    $"""
                    update images i set bytes = null, purged_at = now()
                    where i.purged_at is null
                      and i.sha256 in (select r.image_sha256 from review_items r where r.id > @after and r.id <= @last and r.status = 'decided')
                      and {RetentionPolicies.ImageDueSql}
                    returning encode(i.sha256, 'hex')
                    """, new { after, last = range.Last, policy.ApprovedImageDays, policy.BlockedImageDays }, transaction)).ToArray();
                var purgedItems = (await connection.QueryAsync<long>(
                    """
                    update review_items r set prompt = '', negative_prompt = null, metadata = null, content_purged_at = now()
                    where r.id > @after and r.id <= @last and r.status = 'decided' and r.content_purged_at is null
                      and retention_due(r.id, @PromptDays, @PromptDays)
                    returning r.id
                    """, new { after, last = range.Last, policy.PromptDays }, transaction)).ToArray();
                if (purgedImages.Length + purgedItems.Length > 0)
                    await AuditLog.AppendAsync(connection, transaction, Actor.Console, Purged, null, new
                    {
                        policy,
                        images = purgedImages.Length,
                        prompts = purgedItems.Length,
                        imageSha256 = purgedImages,
                        promptsOfItems = purgedItems,
                    });
                return (Last: range.Last!.Value, range.Count, Images: purgedImages, Items: purgedItems);
            }, ct);
            done += chunk.Count;
            images += chunk.Images.Length;
            prompts += chunk.Items.Length;
            after = chunk.Last;
            await context.ReportAsync(done, Math.Max(total, done));
            if (chunk.Count < chunkSize) break;
        }
        return new { examined = done, imagesRemoved = images, promptsRemoved = prompts };
    }
}

/// <summary>Starts the purge once a day (<see cref="RetentionOptions.Every"/>) on whichever instance gets there first.</summary>
public sealed class RetentionSchedule(Db db, JobStore jobs, Microsoft.Extensions.Options.IOptions<RetentionOptions> options,
    ILogger<RetentionSchedule> logger) : PeriodicJobSchedule(db, jobs, logger)
{
    protected override string Kind => RetentionPurge.JobKind;
    protected override bool Enabled => options.Value.Scheduled;
    protected override TimeSpan Every => options.Value.Every;
    protected override long ScheduleLock => 0x7265_745F_7363_68; // "ret_sch"
}

public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>Start the purge by itself every <see cref="Every"/> (an admin may also start it on /admin/retention).</summary>
    public bool Scheduled { get; set; } = true;

    public TimeSpan Every { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Decided items examined per transaction: short transactions, so holds and decisions never wait long on a purge.</summary>
    public int ChunkSize { get; set; } = 500;
}
