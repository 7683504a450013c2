using System.Security.Claims;
using System.Text.RegularExpressions;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Retention;
using Npgsql;

namespace ModerationConsole.Cases;

/// <summary>
/// Cases as people work them: the list, one case, opening one by hand for an item, adding items and notes, and moving a
/// case on. Child-safety cases are for specialists only (<see cref="Policies.ChildSafety"/>); the others for seniors,
/// specialists and admins (<see cref="Policies.Cases"/>). Every change is audited in its transaction with the case's id.
/// </summary>
public sealed partial class CaseStore(Db db, CaseOpening opening, EvidenceSealing sealing)
{
    public const int MaxTextLength = 2000;

    public Task<IReadOnlyList<CaseSummary>> ListAsync(ClaimsPrincipal user, bool includeClosed, CancellationToken ct = default)
    {
        user.UserIdUnder(Policies.Cases, "Your role may not see cases.");
        var childSafety = user.Satisfies(Policies.ChildSafety);
        return db.ReadAsync<IReadOnlyList<CaseSummary>>(async c => (await c.QueryAsync<CaseSummary>(
            """
            select c.id, c.kind, c.status, c.producer_id as producerid, c.user_id as userid, c.summary, c.opened_at as openedat,
                   (select count(*)::int from case_items i where i.case_id = c.id) as items,
                   (select max(h.ends_at) from legal_holds h where h.case_id = c.id and h.released_at is null) as helduntil
            from cases c
            where (@childSafety or c.kind <> 'child_safety') and (@includeClosed or c.status <> 'closed')
            order by case c.status when 'draft' then 0 when 'ready' then 1 when 'reported' then 2 else 3 end, c.id desc
            limit 500
            """, new { childSafety, includeClosed })).AsList(), ct);
    }

    public async Task<CaseDetail?> ReadAsync(ClaimsPrincipal user, long caseId, CancellationToken ct = default)
    {
        user.UserIdUnder(Policies.Cases, "Your role may not see cases.");
        return await db.ReadAsync(async c =>
        {
            var detail = await c.QuerySingleOrDefaultAsync<CaseDetail>(
                """
                select c.id, c.kind, c.status, c.producer_id as producerid, p.name as producername, c.user_id as userid, c.summary,
                       c.opened_at as openedat, u.email as openedby, c.report_id as reportid, c.reported_at as reportedat,
                       c.closed_at as closedat, c.sealed_at as sealedat, c.manifest_sha256 as manifestsha256
                from cases c join producers p on p.id = c.producer_id left join users u on u.id = c.opened_by
                where c.id = @caseId
                """, new { caseId });
            if (detail is null) return null;
            RequireKind(user, detail.Kind);
            detail.Items = (await c.QueryAsync<CaseItem>(
                """
                select r.id as itemid, r.generation_id as generationid, r.user_id as userid, r.prompt, r.received_at as receivedat,
                       d.decision, coalesce(d.categories, '{}') as categories, i.purged_at is not null as imagepurged
                from case_items ci join review_items r on r.id = ci.item_id join images i on i.sha256 = r.image_sha256
                left join lateral (select decision, categories from decisions where item_id = r.id order by id desc limit 1) d on true
                where ci.case_id = @caseId order by ci.added_at, r.id
                """, new { caseId })).AsList();
            detail.Notes = (await c.QueryAsync<CaseNote>(
                "select u.email as author, n.written_at as writtenat, n.note from case_notes n join users u on u.id = n.author where n.case_id = @caseId order by n.id",
                new { caseId })).AsList();
            detail.Timeline = (await c.QueryAsync<CaseEvent>(
                """
                select a.at, case when a.actor_kind = 'user' then coalesce(u.email, 'person ' || a.actor_id) else a.actor_kind end as actor,
                       a.action, (a.details - 'caseId')::text as details
                from audit_log a left join users u on a.actor_kind = 'user' and u.id::text = a.actor_id
                where a.details ? 'caseId' and (a.details ->> 'caseId')::bigint = @caseId order by a.id
                """, new { caseId })).AsList();
            detail.Holds = await LegalHolds.OfCaseAsync(c, caseId);
            return detail;
        }, ct);
    }

    /// <summary>SQL that is true when the item <paramref name="itemColumn"/> names belongs to a child-safety case.</summary>
    public static string InChildSafetyCaseSql(string itemColumn) =>
        $"exists (select 1 from case_items ci join cases k on k.id = ci.case_id where ci.item_id = {itemColumn} and k.kind = 'child_safety')";

    /// <summary>Whether an item belongs to a child-safety case (its image is then for specialists only).</summary>
    public Task<bool> InChildSafetyCaseAsync(long itemId, CancellationToken ct = default) =>
        db.ReadAsync(c => c.ExecuteScalarAsync<bool>($"select {InChildSafetyCaseSql("@itemId")}", new { itemId }), ct);

    /// <summary>The cases an item belongs to that the caller may see (child-safety ones only for specialists).</summary>
    public Task<IReadOnlyList<CaseSummary>> OfItemAsync(ClaimsPrincipal user, long itemId, CancellationToken ct = default)
    {
        user.UserIdUnder(Policies.Cases, "Your role may not see cases.");
        var childSafety = user.Satisfies(Policies.ChildSafety);
        return db.ReadAsync<IReadOnlyList<CaseSummary>>(async c => (await c.QueryAsync<CaseSummary>(
            """
            select c.id, c.kind, c.status, c.producer_id as producerid, c.user_id as userid, c.summary, c.opened_at as openedat
            from case_items ci join cases c on c.id = ci.case_id
            where ci.item_id = @itemId and (@childSafety or c.kind <> 'child_safety') order by c.id
            """, new { itemId, childSafety })).AsList(), ct);
    }

    /// <summary>Opens a case by hand for an item (an NCII or likeness complaint, a law enforcement request, or child safety by a specialist).</summary>
    public Task<long> OpenAsync(ClaimsPrincipal user, string kind, long itemId, string? summary, CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.Cases, "Your role may not open cases.");
        if (!CaseKinds.All.Contains(kind)) throw new CaseException($"kind: one of {string.Join(", ", CaseKinds.All)}.");
        RequireKind(user, kind);
        summary = RequireText(summary, "summary", "say what the case is about");
        return db.InTransactionAsync(async (connection, transaction) =>
            (await opening.OpenOrJoinAsync(connection, transaction, Actor.User(userId), userId, kind, itemId, summary, joinWave: false)).CaseId, ct);
    }

    /// <summary>Adds another item to a draft case; its holds then cover the item.</summary>
    public Task AddItemAsync(ClaimsPrincipal user, long caseId, long itemId, CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.Cases, "Your role may not change cases.");
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var current = await LockAsync(connection, transaction, user, caseId);
            if (current.Status != CaseStatuses.Draft) throw new CaseException($"Items join a case only while it is a draft (case #{caseId} is {current.Status}).");
            if (await connection.ExecuteScalarAsync<long?>("select id from review_items where id = @itemId", new { itemId }, transaction) is null)
                throw new CaseException($"item: there is no item #{itemId}.");
            await opening.AddItemAsync(connection, transaction, Actor.User(userId), userId, caseId, itemId, current.Kind);
            return 0;
        }, ct);
    }

    public Task AddNoteAsync(ClaimsPrincipal user, long caseId, string? note, CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.Cases, "Your role may not change cases.");
        note = RequireText(note, "note", "write the note");
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            await LockAsync(connection, transaction, user, caseId);
            var noteId = await connection.ExecuteScalarAsync<long>(
                "insert into case_notes (case_id, author, note) values (@caseId, @userId, @note) returning id", new { caseId, userId, note }, transaction);
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), CaseAuditActions.NoteAdded, null, new { caseId, noteId, note });
            return 0;
        }, ct);
    }

    /// <summary>A child-safety case's report package is prepared: draft → ready. Its items are fixed from now on.</summary>
    public Task MarkReadyAsync(ClaimsPrincipal user, long caseId, CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.ChildSafety, "Only child-safety specialists prepare CyberTipline reports.");
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var current = await LockAsync(connection, transaction, user, caseId);
            if (current.Kind != CaseKinds.ChildSafety) throw new CaseException("Only child-safety cases are reported to NCMEC.");
            if (current.Status != CaseStatuses.Draft) throw new CaseException($"Case #{caseId} is {current.Status}, not a draft.");
            await connection.ExecuteAsync("update cases set status = 'ready' where id = @caseId", new { caseId }, transaction);
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), CaseAuditActions.Ready, null, new { caseId });
            return 0;
        }, ct);
    }

    /// <summary>NCMEC's report id is entered: ready → reported, and the evidence bundle is sealed in the same transaction.</summary>
    public async Task MarkReportedAsync(ClaimsPrincipal user, long caseId, string? reportId, CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.ChildSafety, "Only child-safety specialists record CyberTipline reports.");
        reportId = reportId?.Trim() ?? "";
        if (!ReportIdPattern().IsMatch(reportId)) throw new CaseException("reportId: the report id NCMEC returned (letters, digits and dashes, up to 64).");
        await sealing.SealChainAsync(caseId, ct);
        await db.InTransactionAsync(async (connection, transaction) =>
        {
            var current = await LockAsync(connection, transaction, user, caseId);
            if (current.Status != CaseStatuses.Ready) throw new CaseException($"Case #{caseId} is {current.Status}: prepare its report package first.");
            await connection.ExecuteAsync(
                "update cases set status = 'reported', report_id = @reportId, reported_at = now(), reported_by = @userId where id = @caseId",
                new { caseId, reportId, userId }, transaction);
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), CaseAuditActions.Reported, null, new { caseId, reportId });
            await sealing.SealAsync(connection, transaction, Actor.User(userId), caseId);
            return 0;
        }, ct);
    }

    /// <summary>Closes a case with a reason, sealing its evidence bundle if the report did not already.</summary>
    public async Task CloseAsync(ClaimsPrincipal user, long caseId, string? reason, CancellationToken ct = default)
    {
        var userId = user.UserIdUnder(Policies.Cases, "Your role may not close cases.");
        reason = RequireText(reason, "reason", "say why the case is closed");
        await sealing.SealChainAsync(caseId, ct);
        await db.InTransactionAsync(async (connection, transaction) =>
        {
            var current = await LockAsync(connection, transaction, user, caseId);
            if (current.Status == CaseStatuses.Closed) throw new CaseException($"Case #{caseId} is already closed.");
            await connection.ExecuteAsync("update cases set status = 'closed', closed_at = now(), closed_by = @userId where id = @caseId",
                new { caseId, userId }, transaction);
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), CaseAuditActions.Closed, null, new { caseId, reason });
            if (!current.Sealed) await sealing.SealAsync(connection, transaction, Actor.User(userId), caseId);
            return 0;
        }, ct);
    }

    /// <summary>The case row, locked, after checking the caller may act on its kind.</summary>
    internal static async Task<(string Kind, string Status, bool Sealed)> LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        ClaimsPrincipal user, long caseId)
    {
        var current = await connection.QuerySingleOrDefaultAsync<(string Kind, string Status, bool Sealed)>(
            "select kind, status, sealed_at is not null from cases where id = @caseId for update", new { caseId }, transaction);
        if (current.Kind is null) throw new CaseException($"There is no case #{caseId}.");
        RequireKind(user, current.Kind);
        return current;
    }

    internal static void RequireKind(ClaimsPrincipal user, string kind)
    {
        if (kind == CaseKinds.ChildSafety && !user.Satisfies(Policies.ChildSafety))
            throw new UnauthorizedAccessException("Only child-safety specialists see and work child-safety cases.");
    }

    private static string RequireText(string? text, string field, string ask)
    {
        text = text?.Trim();
        if (string.IsNullOrEmpty(text)) throw new CaseException($"{field}: {ask}.");
        if (text.Length > MaxTextLength) throw new CaseException($"{field}: at most {MaxTextLength} characters (it has {text.Length}).");
        return text;
    }

    [GeneratedRegex("^[A-Za-z0-9-]{1,64}$")]
    private static partial Regex ReportIdPattern();
}
