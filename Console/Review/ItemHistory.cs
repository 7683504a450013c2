using Dapper;
using ModerationConsole.Data;

namespace ModerationConsole.Review;

/// <summary>
/// Everything that happened to one item: what came in, every score it was given (by the producer and by each classifier
/// version, and whether that source routes now), each decision (and what overturned it), each audit entry.
/// </summary>
public sealed record ItemHistory(ItemHistory.Summary Item, IReadOnlyList<ItemHistory.SourceScores> Scores,
    IReadOnlyList<ItemHistory.Decision> Decisions, IReadOnlyList<ItemHistory.Entry> Entries)
{
    /// <summary>One source's scores; <paramref name="Routes"/>: the producer's own or an active classifier version's.</summary>
    public sealed record SourceScores(string Source, bool Routes, IReadOnlyList<(string Category, double Score)> Scores);

    public sealed class Summary
    {
        public long Id { get; init; }
        public string GenerationId { get; init; } = "";
        public string Producer { get; init; } = "";
        public string UserId { get; init; } = "";
        public string Prompt { get; init; } = "";
        public string Route { get; init; } = "";
        public string Status { get; init; } = "";
        public string? Queue { get; init; }
        public string? Jurisdiction { get; init; }
        public string? UserTier { get; init; }
        public string[] RouteCategories { get; init; } = [];
        public int Priority { get; init; }
        public DateTime ReceivedAt { get; init; }
    }

    public sealed class Decision
    {
        public long Id { get; init; }
        public DateTime DecidedAt { get; init; }
        public string Verdict { get; init; } = "";
        public string[] Categories { get; init; } = [];
        public bool Automated { get; init; }
        public string? Moderator { get; init; }
        public string Reason { get; init; } = "";
        public string? Note { get; init; }
        public long? Overturns { get; init; }
        public long? OverturnedBy { get; init; }
    }

    public sealed class Entry
    {
        public long Id { get; init; }
        public DateTime At { get; init; }
        public string Actor { get; init; } = "";
        public string Action { get; init; } = "";
        public string Details { get; init; } = "";
    }

    /// <summary>The decision that stands: the one nothing overturned.</summary>
    public Decision? Standing => Decisions.LastOrDefault(d => d.OverturnedBy is null);
}

public sealed class ItemHistoryReader(Db db)
{
    public Task<ItemHistory?> ReadAsync(long itemId, CancellationToken ct = default) => db.ReadAsync<ItemHistory?>(async connection =>
    {
        var item = await connection.QuerySingleOrDefaultAsync<ItemHistory.Summary>(
            """
            select r.id, r.generation_id as generationid, p.name as producer, r.user_id as userid, r.prompt, r.route, r.status,
                   r.queue, r.jurisdiction, r.user_tier as usertier, r.route_categories as routecategories, r.priority,
                   r.received_at as receivedat
            from review_items r join producers p on p.id = r.producer_id where r.id = @itemId
            """, new { itemId });
        if (item is null) return null;
        var scores = (await connection.QueryAsync<(string Source, bool Routes, string Category, double Score)>(
                """
                select s.source, s.source = 'upstream' or exists (select 1 from classifier_versions v where v.active and s.source = v.name || '@' || v.version),
                       s.category, s.score::float8
                from item_scores s where s.item_id = @itemId order by s.source <> 'upstream', s.source, s.score desc, s.category
                """, new { itemId }))
            .GroupBy(s => (s.Source, s.Routes))
            .Select(g => new ItemHistory.SourceScores(g.Key.Source, g.Key.Routes, g.Select(s => (s.Category, s.Score)).ToList()))
            .ToList();
        var decisions = await connection.QueryAsync<ItemHistory.Decision>(
            """
            select d.id, d.decided_at as decidedat, d.decision as verdict, d.categories, d.automated, u.email as moderator, d.reason,
                   d.note, d.overturns, (select o.id from decisions o where o.overturns = d.id) as overturnedby
            from decisions d left join users u on u.id = d.decided_by
            where d.item_id = @itemId order by d.id
            """, new { itemId });
        var entries = await connection.QueryAsync<ItemHistory.Entry>(
            """
            select a.id, a.at,
                   case a.actor_kind when 'user' then coalesce(u.email, a.actor_id) when 'producer' then coalesce(p.name, a.actor_id)
                        else a.actor_id end as actor,
                   a.action, a.details::text as details
            from audit_log a
            left join users u on a.actor_kind = 'user' and u.id::text = a.actor_id
            left join producers p on a.actor_kind = 'producer' and p.id::text = a.actor_id
            where a.item_id = @itemId order by a.id
            """, new { itemId });
        return new ItemHistory(item, scores, decisions.AsList(), entries.AsList());
    }, ct);
}
