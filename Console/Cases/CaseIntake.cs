using Dapper;
using Microsoft.Extensions.Options;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Bank;
using ModerationConsole.Data;

namespace ModerationConsole.Cases;

/// <summary>
/// Opens child-safety cases from the decisions themselves: a person who may confirm escalations (senior, specialist,
/// admin) blocking for sexual_minors opens a case for the user, or adds the item to the user's draft case of the same
/// wave. It reads written decisions, so a block undone within its undo window never opens a case, and an overturn to
/// such a block does. Each decision is taken once (case_intake), by one instance at a time.
/// </summary>
public sealed class CaseIntake(Db db, CaseOpening opening, BlockBank bank)
{
    private const long IntakeLock = 0x6361_7365_5F69_6E; // "case_in"
    private const int Batch = 100;

    /// <summary>Takes the confirmed blocks not seen yet; returns how many it took (0 when another instance is at it).</summary>
    public async Task<int> TakeAsync(CancellationToken ct = default)
    {
        var taken = await db.InTransactionAsync(async (connection, transaction) =>
        {
            if (!await connection.ExecuteScalarAsync<bool>("select pg_try_advisory_xact_lock(@IntakeLock)", new { IntakeLock }, transaction))
                return 0;
            var blocks = (await connection.QueryAsync<(long DecisionId, long ItemId, long DecidedBy, string Role)>(
                $"""
                select d.id, d.item_id, d.decided_by, u.role
                from decisions d join users u on u.id = d.decided_by
                where not d.automated and d.decision = 'blocked' and 'sexual_minors' = any (d.categories)
                  and not exists (select 1 from case_intake i where i.decision_id = d.id)
                order by d.id limit {Batch}
                """, transaction: transaction)).ToList();
            foreach (var block in blocks)
            {
                long? caseId = null;
                if (Policies.RolesOf[Policies.Escalations].Contains(block.Role))
                    caseId = (await opening.OpenOrJoinAsync(connection, transaction, Actor.Console, null, CaseKinds.ChildSafety, block.ItemId,
                        $"Blocked for sexual_minors by a {block.Role}, confirmed in decision {block.DecisionId}.", joinWave: true)).CaseId;
                await connection.ExecuteAsync("insert into case_intake (decision_id, case_id) values (@DecisionId, @caseId)",
                    new { block.DecisionId, caseId }, transaction);
            }
            return blocks.Count;
        }, ct);
        if (taken > 0) await bank.CatchUpAsync(ct);
        return taken;
    }
}

/// <summary>Runs the intake every <see cref="CasesOptions.IntakeInterval"/> on every instance (they take turns).</summary>
public sealed class CaseIntakeService(CaseIntake intake, IOptions<CasesOptions> options, ILogger<CaseIntakeService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.IntakeInterval);
        do
        {
            try
            {
                while (await intake.TakeAsync(stoppingToken) > 0) { }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Confirmed child-safety blocks could not be taken into cases; trying again");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
