using System.Text.Json;
using Dapper;
using ModerationConsole.Data;
using ModerationConsole.Policy;

namespace ModerationConsole.Review;

public sealed class ReviewItemReader(Db db)
{
    public Task<ReviewItem?> ReadAsync(long itemId, CancellationToken ct = default) => db.ReadAsync(async connection =>
    {
        var row = await connection.QuerySingleOrDefaultAsync<Row>(
            """
            select r.id, r.queue, r.generation_id as generationid, p.name as producername, r.producer_id as producerid, r.user_id as userid,
                   r.prompt, r.negative_prompt as negativeprompt, r.model, r.created_at as createdat, r.received_at as receivedat,
                   r.route, r.route_categories as routecategories, r.priority, r.jurisdiction, r.user_tier as usertier,
                   r.age_verified as ageverified, r.metadata::text as metadata,
                   i.width as imagewidth, i.height as imageheight, i.content_type as imagecontenttype, i.pdq_quality::int as imagehashquality,
                   coalesce(u.strikes, 0) as strikes,
                   (select e.action from enforcements e
                    where e.producer_id = r.producer_id and e.user_id = r.user_id and e.state = 'active' and (e.ends_at is null or e.ends_at > now())
                    order by array_position(array['warn', 'restrict', 'require_verification', 'suspend', 'ban'], e.action) desc limit 1) as accountaction,
                   (select case o.kind when 'user' then 'A platform user named as its subject opted out (' || o.user_id || ')'
                                       else 'Its image matches a picture whose owner opted out' end
                           || coalesce(': ' || o.note, '') || ' (opt-out #' || o.id || ').'
                    from opt_outs o where o.id = r.opt_out_id) as optout
            from review_items r
            join producers p on p.id = r.producer_id
            join images i on i.sha256 = r.image_sha256
            left join platform_users u on u.producer_id = r.producer_id and u.user_id = r.user_id
            where r.id = @itemId
            """, new { itemId });
        if (row is null) return null;

        var policy = await PolicyStore.LoadActiveAsync(connection, null);
        var scores = (await connection.QueryAsync<(string Category, float Score)>(
                "select category, score from item_scores where item_id = @itemId and source = 'upstream' order by score desc, category",
                new { itemId }))
            .Select(s => Scored(s.Category, s.Score))
            .ToList();
        // The active classifiers' own scores, beside the producer's: routing reads the stronger of each. Versions in shadow
        // mode come after them, marked: moderators see what they would say, routing does not read them.
        var classifiers = (await connection.QueryAsync<(string Source, string Category, float Score, bool Shadow)>(
                """
                select s.source, s.category, s.score, not v.active
                from item_scores s join classifier_versions v on (v.active or v.shadow_since is not null) and s.source = v.name || '@' || v.version
                where s.item_id = @itemId order by not v.active, s.source, s.score desc, s.category
                """, new { itemId }))
            .GroupBy(s => (s.Source, s.Shadow))
            .Select(g => new ClassifierScores(g.Key.Source, g.Select(s => Scored(s.Category, s.Score)).ToList(), g.Key.Shadow))
            .ToList();

        CategoryScore Scored(string category, double score) => CategoryScore.Under(policy.Document, category, score);

        var history = (await connection.QueryAsync<PriorDecisionRow>(
            """
            select d.item_id as itemid, d.decision, d.categories, d.automated, d.decided_at as decidedat
            from decisions d join review_items r on r.id = d.item_id
            where r.producer_id = @producerId and r.user_id = @userId and r.id <> @itemId
            order by d.id desc limit 10
            """, new { row.ProducerId, row.UserId, itemId }))
            .Select(d => new PriorDecision(d.ItemId, d.Decision, d.Categories, d.Automated, d.DecidedAt))
            .ToList();

        var metadata = row.Metadata is null
            ? new Dictionary<string, string>()
            : JsonSerializer.Deserialize<Dictionary<string, string>>(row.Metadata) ?? [];

        return new ReviewItem(row.Id, row.Queue ?? "", row.GenerationId, row.ProducerName, row.UserId, row.Prompt, row.NegativePrompt,
            row.Model, row.CreatedAt, row.ReceivedAt, row.Route, row.RouteCategories, row.Priority, row.Jurisdiction, row.UserTier,
            row.AgeVerified, row.ImageWidth, row.ImageHeight, row.ImageContentType, scores, metadata, row.Strikes, history, row.ImageHashQuality,
            classifiers, row.ProducerId, row.AccountAction, row.OptOut);
    }, ct);

    // Settable properties rather than positional records: Dapper reads text[] as System.Array, which it cannot match
    // to a constructor parameter, but it assigns to a string[] property.
    private sealed class Row
    {
        public long Id { get; init; }
        public string? Queue { get; init; }
        public string GenerationId { get; init; } = "";
        public string ProducerName { get; init; } = "";
        public long ProducerId { get; init; }
        public string UserId { get; init; } = "";
        public string Prompt { get; init; } = "";
        public string? NegativePrompt { get; init; }
        public string? Model { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset ReceivedAt { get; init; }
        public string Route { get; init; } = "";
        public string[] RouteCategories { get; init; } = [];
        public int Priority { get; init; }
        public string? Jurisdiction { get; init; }
        public string? UserTier { get; init; }
        public bool? AgeVerified { get; init; }
        public string? Metadata { get; init; }
        public int ImageWidth { get; init; }
        public int ImageHeight { get; init; }
        public string ImageContentType { get; init; } = "";
        public int Strikes { get; init; }
        public int? ImageHashQuality { get; init; }
        public string? AccountAction { get; init; }
        public string? OptOut { get; init; }
    }

    private sealed class PriorDecisionRow
    {
        public long ItemId { get; init; }
        public string Decision { get; init; } = "";
        public string[] Categories { get; init; } = [];
        public bool Automated { get; init; }
        public DateTimeOffset DecidedAt { get; init; }
    }
}
