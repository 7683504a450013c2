using System.Text.Json;
using Dapper;
using Npgsql;

namespace ModerationConsole.Policy;

/// <summary>A stored item as routing sees it: its current route and the evidence routing decides on.</summary>
public sealed class RoutableItem
{
    public long Id { get; init; }
    public long ProducerId { get; init; }
    public string UserId { get; init; } = "";
    public string Route { get; init; } = "";
    public string? Jurisdiction { get; init; }
    public string? UserTier { get; init; }
    public string Scores { get; init; } = "{}";
    public bool? AgeVerified { get; init; }
    public long? OptOutId { get; init; }

    /// <summary>What routing decides on (see <see cref="RoutingInputs.ScoresColumn"/> for which scores).</summary>
    public RouteInput ToInput() => RoutingInputs.InputOf(Scores, Jurisdiction, UserTier, AgeVerified) with { OptOutId = OptOutId };
}

/// <summary>Reads items with their routing evidence; shared by the what-if numbers and the re-route job so both see the same inputs.</summary>
public static class RoutingInputs
{
    /// <summary>
    /// The scores column of an item <c>r</c>: per category, the strongest of the producer's own and of each active local
    /// classifier version's (scores of a version no longer active, or in shadow mode, stay stored, for drift, audit and
    /// comparison, but do not route).
    /// </summary>
    public static readonly string ScoresColumn = ScoresSql("false") + " as scores";

    /// <summary>The routing scores of item <c>r</c> as JSON text, also counting the sources <paramref name="alsoSql"/> admits (<c>s.source</c>).</summary>
    public static string ScoresSql(string alsoSql) =>
        $$"""
        coalesce((select jsonb_object_agg(category, score)
                  from (select category, max(score) as score from item_scores s
                        where s.item_id = r.id
                          and (s.source = 'upstream' or {{alsoSql}}
                               or s.source in (select name || '@' || version from classifier_versions where active))
                        group by category) best),
                 '{}')::text
        """;

    public static readonly string Select =
        $"""
        select r.id, r.producer_id as producerid, r.user_id as userid, r.route, r.jurisdiction, r.user_tier as usertier,
               r.age_verified as ageverified, r.opt_out_id as optoutid, {ScoresColumn}
        from review_items r
        """;

    /// <summary>The route input of a row read with <see cref="ScoresColumn"/>: no bank match (replays judge thresholds only).</summary>
    public static RouteInput InputOf(string scores, string? jurisdiction, string? userTier, bool? ageVerified = null) =>
        new(JsonSerializer.Deserialize<Dictionary<string, double>>(scores) ?? [], null, jurisdiction, userTier, ageVerified);

    /// <summary>Every pending item, streamed in id order (the what-if reads the whole backlog without holding it).</summary>
    public static IAsyncEnumerable<RoutableItem> PendingAsync(NpgsqlConnection connection) =>
        connection.QueryUnbufferedAsync<RoutableItem>(Select + " where r.status = 'pending' order by r.id");
}
