using System.Text.Json;
using Dapper;
using Npgsql;

namespace ModerationConsole.Queue;

/// <summary>
/// How many pages a claim reads to find a queue's next free item: its walk from the head of the claim index over the
/// entries that items claimed since the table's last vacuum left behind (see db/0008_queue_vacuum.sql). For the claims
/// benchmark and the tests; the search runs as the claim runs it, in a transaction that is rolled back.
/// </summary>
public static class ClaimWalk
{
    /// <summary>The <c>free</c> step of <see cref="ClaimService"/>'s claim.</summary>
    private const string NextFreeItem =
        """
        explain (analyze, buffers, format json)
        select id from review_items
        where status = 'pending' and queue = @queue and claimed_by is null
        order by priority desc, received_at, id limit 1
        for update skip locked
        """;

    public sealed record Walk(long Pages, double Milliseconds);

    /// <summary>Needs a login that may lock the queue's rows (the console's, or the owner).</summary>
    public static async Task<Walk> MeasureAsync(NpgsqlConnection connection, string queue, CancellationToken ct = default)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var plan = await connection.ExecuteScalarAsync<string>(new CommandDefinition(NextFreeItem, new { queue }, transaction, cancellationToken: ct));
        await transaction.RollbackAsync(ct);
        using var json = JsonDocument.Parse(plan!);
        var root = json.RootElement[0];
        var top = root.GetProperty("Plan");
        return new Walk(top.GetProperty("Shared Hit Blocks").GetInt64() + top.GetProperty("Shared Read Blocks").GetInt64(),
            root.GetProperty("Execution Time").GetDouble());
    }
}
