using Dapper;
using ModerationConsole.Data;

namespace ModerationConsole.Enforcement;

/// <summary>One of the user's generations on the account page, with the decision that stands on it.</summary>
public sealed class AccountItem
{
    public long Id { get; init; }
    public string GenerationId { get; init; } = "";
    public DateTime ReceivedAt { get; init; }
    public string Route { get; init; } = "";
    public string Status { get; init; } = "";
    public string Prompt { get; init; } = "";
    public long? DecisionId { get; init; }
    public string? Decision { get; init; }
    public string[] Categories { get; init; } = [];
    public string? DecidedBy { get; init; }
    public string? TopScores { get; init; }
}

public sealed class AccountStrike
{
    public long DecisionId { get; init; }
    public long ItemId { get; init; }
    public string[] Categories { get; init; } = [];
    public int Weight { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime ExpiresAt { get; init; }
    public DateTime? LiftedAt { get; init; }
    public bool Active => LiftedAt is null && ExpiresAt > DateTime.UtcNow;
}

public sealed class AccountEnforcement
{
    public long Id { get; init; }
    public string Action { get; init; } = "";
    public string[] Features { get; init; } = [];
    public int? HourlyQuota { get; init; }
    public string State { get; init; } = "";
    public string Origin { get; init; } = "";
    public int? StepThreshold { get; init; }
    public string Reason { get; init; } = "";
    public string? CreatedBy { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? StartsAt { get; init; }
    public DateTime? EndsAt { get; init; }
    public DateTime? LiftedAt { get; init; }
    public string? LiftedBy { get; init; }
    public string? LiftReason { get; init; }
    public bool InForce => State == "active" && (EndsAt is null || EndsAt > DateTime.UtcNow);
}

/// <summary>An account found from the top bar's search.</summary>
public sealed record AccountRef(long ProducerId, string Producer, string UserId, long Items);

/// <summary>Reads what the account page shows; the page adds appeals (<see cref="Appeals.AppealQueue"/>) and notices.</summary>
public sealed class AccountReader(Db db)
{
    public const int MaxItems = 300;

    public Task<string?> ProducerNameAsync(long producerId, CancellationToken ct = default) =>
        db.ReadAsync(c => c.ExecuteScalarAsync<string?>("select name from producers where id = @producerId", new { producerId }), ct);

    /// <summary>
    /// A scalar subquery: the item's <paramref name="count"/> highest scores over every source, as "sexual 0.93,
    /// violence 0.40" (for the account page and the appeals queue).
    /// </summary>
    public static string TopScoresSql(string itemId, int count) =>
        $"""
        (select string_agg(s.category || ' ' || to_char(s.score, 'FM0.00'), ', ' order by s.score desc)
         from (select category, max(score) as score from item_scores where item_id = {itemId} group by category
               order by max(score) desc limit {count}) s)
        """;

    public Task<IReadOnlyList<AccountItem>> ItemsAsync(long producerId, string userId, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<AccountItem>>(async c => (await c.QueryAsync<AccountItem>(
            $"""
            select r.id, r.generation_id as generationid, r.received_at as receivedat, r.route, r.status, r.prompt,
                   d.id as decisionid, d.decision, d.categories, coalesce(u.email, case when d.automated then 'automation' end) as decidedby,
                   {TopScoresSql("r.id", 3)} as topscores
            from review_items r
            left join lateral (select * from decisions d where d.item_id = r.id
                               and not exists (select 1 from decisions o where o.overturns = d.id) order by d.id desc limit 1) d on true
            left join users u on u.id = d.decided_by
            where r.producer_id = @producerId and r.user_id = @userId
            order by r.id desc limit @limit
            """, new { producerId, userId, limit = MaxItems })).AsList(), ct);

    public Task<IReadOnlyList<AccountStrike>> StrikesAsync(long producerId, string userId, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<AccountStrike>>(async c => (await c.QueryAsync<AccountStrike>(
            """
            select s.decision_id as decisionid, d.item_id as itemid, s.categories, s.weight, s.created_at as createdat,
                   s.expires_at as expiresat, s.lifted_at as liftedat
            from strikes s join decisions d on d.id = s.decision_id
            where s.producer_id = @producerId and s.user_id = @userId order by s.id desc
            """, new { producerId, userId })).AsList(), ct);

    public Task<IReadOnlyList<AccountEnforcement>> EnforcementsAsync(long producerId, string userId, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<AccountEnforcement>>(async c => (await c.QueryAsync<AccountEnforcement>(
            """
            select e.id, e.action, e.features, e.hourly_quota as hourlyquota, e.state, e.origin, e.step_threshold as stepthreshold, e.reason,
                   coalesce(cu.email, 'automation') as createdby, e.created_at as createdat, e.starts_at as startsat, e.ends_at as endsat,
                   e.lifted_at as liftedat, coalesce(lu.email, case when e.lifted_at is not null then 'automation' end) as liftedby,
                   e.lift_reason as liftreason
            from enforcements e left join users cu on cu.id = e.created_by left join users lu on lu.id = e.lifted_by
            where e.producer_id = @producerId and e.user_id = @userId order by e.id desc
            """, new { producerId, userId })).AsList(), ct);

    /// <summary>
    /// Accounts whose user id is <paramref name="text"/>, or that made the generation with that id; producer by producer,
    /// so that each lookup is a probe of an index that starts with the producer.
    /// </summary>
    public Task<IReadOnlyList<AccountRef>> SearchAsync(string text, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<AccountRef>>(async c => (await c.QueryAsync<AccountRef>(
            """
            select p.id as producerid, p.name as producer, m.user_id as userid,
                   (select count(*) from review_items r where r.producer_id = p.id and r.user_id = m.user_id) as items
            from producers p
            cross join lateral (
                select user_id from review_items where producer_id = p.id and user_id = @text
                union
                select user_id from review_items where producer_id = p.id and generation_id = @text) m
            order by p.name, m.user_id limit 50
            """, new { text = text.Trim() })).AsList(), ct);
}
