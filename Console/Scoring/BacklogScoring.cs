using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Policy;

namespace ModerationConsole.Scoring;

/// <summary>What one step did.</summary>
public sealed record ScoredStep(int Scored, int Undecodable, int Moved, int Decided);

/// <summary>
/// One step of scoring pending items with a classifier version: score them (items that already have its scores are
/// skipped), then route them again under the active policy in one transaction (they may move queue or be decided
/// automatically; producers are told). The re-scoring job and the scoring of new items both take this step.
/// </summary>
public sealed class BacklogScoring(Db db, ScoringService scoring, BacklogRouter router)
{
    public async Task<ScoredStep> ScoreAndRouteAsync(string name, string version, IReadOnlyList<long> ids, CancellationToken ct)
    {
        var batch = await scoring.ScoreBatchAsync(name, version, ids, Actor.Console, ct);
        var (moved, decided) = await db.InTransactionAsync(async (connection, transaction) =>
        {
            var policy = await PolicyStore.LoadActiveAsync(connection, transaction);
            var items = (await connection.QueryAsync<RoutableItem>(BacklogRouter.LockedBatch("r.id = any(@ids)"),
                new { ids = ids.ToArray(), limit = ids.Count }, transaction)).AsList();
            return await router.RerouteAsync(connection, transaction, policy, items, $"re-scored by {name}@{version}");
        }, ct);
        return new ScoredStep(batch.Scored, batch.Undecodable.Count, moved, decided);
    }
}
