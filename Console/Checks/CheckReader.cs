using Dapper;
using ModerationConsole.Data;

namespace ModerationConsole.Checks;

/// <summary>A stored check as staff read it on the account page (settable properties: Dapper maps text[] only so).</summary>
public sealed class StoredCheck
{
    public long Id { get; init; }
    public string CheckId { get; init; } = "";
    public DateTime CheckedAt { get; init; }
    public string Verdict { get; init; } = "";
    public string[] Features { get; init; } = [];
    public string Prompt { get; init; } = "";
    public string Reasons { get; init; } = "[]";
}

/// <summary>What the console shows of checks: a user's latest refusals, and counts for the dashboard.</summary>
public sealed class CheckReader(Db db)
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

    public static IReadOnlyList<CheckReason> ReasonsOf(StoredCheck check) =>
        System.Text.Json.JsonSerializer.Deserialize<List<CheckReason>>(check.Reasons, Json) ?? [];

    public Task<IReadOnlyList<StoredCheck>> RefusalsAsync(long producerId, string userId, int limit, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<StoredCheck>>(async c => (await c.QueryAsync<StoredCheck>(
            """
            select id, check_id as checkid, checked_at as checkedat, verdict, features, prompt, reasons::text as reasons
            from generation_checks
            where producer_id = @producerId and user_id = @userId and verdict not in ('allow', 'allow_with_review')
            order by checked_at desc limit @limit
            """, new { producerId, userId, limit })).AsList(), ct);

    /// <summary>Checks of the last 24 hours per verdict, and per layer and code for those that were not allowed.</summary>
    public Task<CheckCounts> LastDayAsync(CancellationToken ct = default) => db.ReadAsync(async c =>
    {
        var verdicts = (await c.QueryAsync<(string, long)>(
            "select verdict, count(*) from generation_checks where checked_at > now() - interval '1 day' group by 1 order by 2 desc")).AsList();
        // Enforced and shadow reasons in one pass over the day's reasons.
        var all = (await c.QueryAsync<(bool Shadow, string Layer, string Code, long Count)>(
            """
            select (r->>'shadow')::boolean, r->>'layer', r->>'code', count(*) from generation_checks, jsonb_array_elements(reasons) r
            where checked_at > now() - interval '1 day'
            group by 1, 2, 3 order by 4 desc
            """)).AsList();
        var reasons = all.Where(r => !r.Shadow).Select(r => (r.Layer, r.Code, r.Count)).ToList();
        var shadow = all.Where(r => r.Shadow).Select(r => (r.Layer, r.Code, r.Count)).ToList();
        var top = (await c.QueryAsync<(long, string, long)>(
            """
            select producer_id, user_id, count(*) from generation_checks
            where checked_at > now() - interval '1 day' and verdict not in ('allow', 'allow_with_review')
            group by 1, 2 order by 3 desc limit 10
            """)).AsList();
        var lastHour = await c.ExecuteScalarAsync<long>("select count(*) from generation_checks where checked_at > now() - interval '1 hour'");
        return new CheckCounts(verdicts, reasons, shadow, top, lastHour);
    }, ct);

    /// <summary>
    /// What a term would have done to the checks of the last <paramref name="days"/> days (the newest
    /// <see cref="WhatIfLimit"/>): how many prompts it matches, and how many of those it would have answered more gravely.
    /// </summary>
    public Task<TermWhatIf> WhatIfAsync(CheckTerm candidate, bool alwaysDenies, int days, CancellationToken ct = default) => db.ReadAsync(async c =>
    {
        var stored = (await c.QueryAsync<(string Prompt, string Verdict)>(
            "select prompt, verdict from generation_checks where checked_at > now() - make_interval(days => @days) order by id desc limit @limit",
            new { days, limit = WhatIfLimit })).AsList();
        var list = new TermList([candidate]);
        var outcome = candidate.Action == "deny" || alwaysDenies ? Verdicts.Deny : Verdicts.AllowWithReview;
        var matched = stored.Where(s => list.Match(s.Prompt).Count > 0).ToList();
        return new TermWhatIf(stored.Count, matched.Count, matched.Count(m => Verdicts.Graver(m.Verdict, outcome) != m.Verdict),
            matched.Take(5).Select(m => m.Prompt).ToList());
    }, ct);

    public const int WhatIfLimit = 100_000;
}

public sealed record CheckCounts(IReadOnlyList<(string Verdict, long Count)> Verdicts, IReadOnlyList<(string Layer, string Code, long Count)> Reasons,
    IReadOnlyList<(string Layer, string Code, long Count)> ShadowReasons, IReadOnlyList<(long ProducerId, string UserId, long Count)> TopRefused,
    long LastHour);

/// <param name="Changed">Matched checks the term would have answered more gravely than they were.</param>
public sealed record TermWhatIf(int Checked, int Matched, int Changed, IReadOnlyList<string> Examples);
