using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Bank;
using ModerationConsole.Retention;
using Npgsql;

namespace ModerationConsole.Cases;

/// <summary>
/// Opens a case for an item, or adds the item to its user's open wave, in the caller's transaction and audited. A
/// child-safety case is held for at least <see cref="CasesOptions.ChildSafetyHoldDays"/> from the moment it opens, and
/// each of its images goes to the child-safety bank, so a re-upload or an edit is blocked at ingest.
/// </summary>
public sealed class CaseOpening(BankAdministration bank, Microsoft.Extensions.Options.IOptions<CasesOptions> options)
{
    /// <summary>Serialises case opening per platform user, so two blocks at once do not open two waves.</summary>
    private const int WaveLockClass = 0x63617365; // "case"

    /// <param name="joinWave">Join the user's draft case of this kind opened within the wave window (automatic intake).</param>
    /// <returns>The case and whether it was opened now.</returns>
    public async Task<(long CaseId, bool Opened)> OpenOrJoinAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Actor actor,
        long? openedBy, string kind, long itemId, string summary, bool joinWave)
    {
        var item = await connection.QuerySingleOrDefaultAsync<(long ProducerId, string UserId)>(
            "select producer_id, user_id from review_items where id = @itemId", new { itemId }, transaction);
        if (item.ProducerId == 0) throw new CaseException($"item: there is no item #{itemId}.");
        await connection.ExecuteAsync("select pg_advisory_xact_lock(@WaveLockClass, hashtext(@producerId::text || '/' || @userId))",
            new { WaveLockClass, producerId = item.ProducerId, userId = item.UserId }, transaction);

        long? caseId = null;
        if (joinWave)
            caseId = await connection.ExecuteScalarAsync<long?>(
                """
                select id from cases
                where producer_id = @ProducerId and user_id = @UserId and kind = @kind and status = 'draft' and last_item_at > now() - @window
                order by id desc limit 1
                """, new { item.ProducerId, item.UserId, kind, window = options.Value.WaveWindow }, transaction);
        var opened = caseId is null;
        if (opened)
        {
            caseId = await connection.ExecuteScalarAsync<long>(
                """
                insert into cases (kind, producer_id, user_id, summary, opened_by) values (@kind, @ProducerId, @UserId, @summary, @openedBy)
                returning id
                """, new { kind, item.ProducerId, item.UserId, summary, openedBy }, transaction);
            await AuditLog.AppendAsync(connection, transaction, actor, CaseAuditActions.Opened, itemId,
                new { caseId, kind, producerId = item.ProducerId, userId = item.UserId, summary });
            if (kind == CaseKinds.ChildSafety)
                await LegalHolds.PlaceAsync(connection, transaction, Actor.Console, null, HoldScopes.Case, caseId, null, null, null,
                    "Child-safety case: its contents are kept for at least the period 18 U.S.C. 2258A(h) requires.",
                    DateTimeOffset.UtcNow.AddDays(options.Value.ChildSafetyHoldDays));
        }
        await AddItemAsync(connection, transaction, actor, openedBy, caseId!.Value, itemId, kind);
        return (caseId.Value, opened);
    }

    /// <summary>Adds an item to a case (its hold then covers it), audited; banks it when the case is a child-safety one.</summary>
    public async Task AddItemAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Actor actor, long? addedBy, long caseId, long itemId,
        string kind)
    {
        await LegalHolds.WidenAsync(connection, transaction);
        var added = await connection.ExecuteAsync(
            "insert into case_items (case_id, item_id, added_by) values (@caseId, @itemId, @addedBy) on conflict do nothing",
            new { caseId, itemId, addedBy }, transaction);
        if (added == 0) return;
        await connection.ExecuteAsync("update cases set last_item_at = now() where id = @caseId", new { caseId }, transaction);
        string? notBanked = null;
        if (kind == CaseKinds.ChildSafety)
            notBanked = await bank.AddToBankAsync(connection, transaction, actor, itemId, ["sexual_minors"], BankNames.ChildSafety, "case",
                $"Confirmed in case #{caseId}");
        await AuditLog.AppendAsync(connection, transaction, actor, CaseAuditActions.ItemAdded, itemId, new { caseId, notBanked });
    }
}
