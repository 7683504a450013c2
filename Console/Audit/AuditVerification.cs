using ModerationConsole.Data;

namespace ModerationConsole.Audit;

/// <summary>Verifying the chain is itself an audited act: who checked, when, and what they found.</summary>
public sealed class AuditVerification(AuditChain chain, Db db)
{
    public async Task<ChainVerification> VerifyAsync(Actor actor, CancellationToken ct = default)
    {
        var result = await chain.VerifyAsync(ct);
        await db.InTransactionAsync(async (connection, transaction) =>
        {
            await AuditLog.AppendAsync(connection, transaction, actor, AuditActions.ChainVerified, details: new
            {
                result.Intact,
                result.EntriesChecked,
                result.HeadHash,
                firstBreak = result.FirstBreak?.ToString(),
            });
            return true;
        }, ct);
        return result;
    }
}
