using System.Collections;
using System.Numerics.Tensors;
using System.Security.Claims;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Data;
using ModerationConsole.Review;

namespace ModerationConsole.Embeddings;

/// <summary>A decided item whose image is near in content to the one under review, with what became of it.</summary>
public sealed record SimilarDecision(long Id, double Similarity, string UserId, string Prompt, string Decision, string[] Categories, string? Outcome,
    bool Automated, DateTimeOffset DecidedAt);

/// <summary>Neighbours by content: pending ones a moderator may decide together, and decided ones with their outcomes.</summary>
public sealed record SimilarItemsResult(string Backbone, IReadOnlyList<NearDuplicate> Pending, IReadOnlyList<SimilarDecision> Decided);

/// <summary>
/// "Show similar items": nearest neighbours of an item's image by its stored embedding, beyond the PDQ near-duplicates
/// (which only catch edits of one picture). Candidates come from the 256-bit sketches (a bit_count scan, within
/// <see cref="MaxSketchDistance"/>), ranked by the exact cosine of the stored vectors. Items in child-safety cases are
/// shown to specialists only, as everywhere else.
/// </summary>
public sealed class SimilarItems(Db db, Microsoft.Extensions.Options.IOptions<Scoring.ScoringOptions> options)
{
    /// <summary>About 45° apart: past this, pictures share little more than their colours. The image endpoint serves no further.</summary>
    public const int MaxSketchDistance = 64;
    public const int Candidates = 400;
    public const int PendingLimit = 50;
    public const int DecidedLimit = 30;

    public async Task<SimilarItemsResult?> FindAsync(ClaimsPrincipal viewer, long itemId, CancellationToken ct = default)
    {
        var viewerId = viewer.UserIdUnder(Policies.Review);
        var childSafety = viewer.Satisfies(Policies.ChildSafety);
        return await db.ReadAsync(async connection =>
        {
            var anchor = await connection.QuerySingleOrDefaultAsync<(string Backbone, byte[] Sha, byte[] Embedding)?>(
                $"""
                select e.backbone, e.image_sha256, e.embedding from review_items r
                join image_embeddings e on e.image_sha256 = r.image_sha256 and e.backbone = ({EmbeddingBackfill.BackboneSql})
                where r.id = @itemId
                """, new { itemId, backbone = options.Value.Backbone });
            if (anchor is not { } a) return null;
            var vector = EmbeddingVector.FromHalfBytes(a.Embedding);
            var candidates = await EmbeddingStore.CandidatesAsync(connection, a.Backbone, EmbeddingVector.Sketch(vector), a.Sha, MaxSketchDistance, Candidates);
            var similarity = candidates.ToDictionary(c => Convert.ToHexString(c.ImageSha256), c => (double)TensorPrimitives.CosineSimilarity(vector, c.Vector));
            var shas = candidates.Select(c => c.ImageSha256).ToArray();
            var rows = (await connection.QueryAsync<Neighbour>(
                $"""
                select r.id, r.status, r.queue, r.user_id as userid, left(r.prompt, 300) as prompt, r.received_at as receivedat, r.image_sha256 as sha,
                       (r.claimed_by is not null and r.claimed_by <> @viewerId and r.claim_expires_at > now()) as heldbyother,
                       d.decision, d.categories, d.outcome, d.automated, d.decided_at as decidedat
                from review_items r
                left join lateral (select decision, categories, outcome, automated, decided_at from decisions
                                   where item_id = r.id order by id desc limit 1) d on true
                where r.image_sha256 = any(@shas) and r.id <> @itemId
                  and (@childSafety or not {Cases.CaseStore.InChildSafetyCaseSql("r.id")})
                """, new { shas, itemId, viewerId, childSafety })).AsList();
            double Similarity(Neighbour n) => similarity[Convert.ToHexString(n.Sha)];
            var pending = rows.Where(r => r.Status == "pending").OrderByDescending(Similarity).ThenBy(r => r.Id).Take(PendingLimit)
                .Select(r => new NearDuplicate
                {
                    Id = r.Id, Queue = r.Queue ?? "", UserId = r.UserId, Prompt = r.Prompt, ReceivedAt = r.ReceivedAt, HeldByOther = r.HeldByOther,
                    Similarity = Similarity(r),
                }).ToList();
            var decided = rows.Where(r => r.Decision is not null).OrderByDescending(Similarity).ThenByDescending(r => r.Id).Take(DecidedLimit)
                .Select(r => new SimilarDecision(r.Id, Similarity(r), r.UserId, r.Prompt, r.Decision!, r.Categories ?? [], r.Outcome, r.Automated ?? false,
                    r.DecidedAt ?? default))
                .ToList();
            return new SimilarItemsResult(a.Backbone, pending, decided);
        }, ct);
    }

    /// <summary>
    /// SQL true when the images of items <paramref name="a"/> and <paramref name="b"/> (review_items aliases) are within
    /// <see cref="MaxSketchDistance"/> under the same backbone: what the review image endpoint checks before serving a neighbour.
    /// </summary>
    public static string NeighboursSql(string a, string b) =>
        $"""
        exists (select 1 from image_embeddings ea join image_embeddings eb on eb.backbone = ea.backbone
                where ea.image_sha256 = {a}.image_sha256 and eb.image_sha256 = {b}.image_sha256
                  and bit_count(ea.sketch # eb.sketch) <= {MaxSketchDistance})
        """;

    private sealed class Neighbour
    {
        public long Id { get; init; }
        public string Status { get; init; } = "";
        public string? Queue { get; init; }
        public string UserId { get; init; } = "";
        public string Prompt { get; init; } = "";
        public DateTimeOffset ReceivedAt { get; init; }
        public byte[] Sha { get; init; } = [];
        public bool HeldByOther { get; init; }
        public string? Decision { get; init; }
        public string[]? Categories { get; init; }
        public string? Outcome { get; init; }
        public bool? Automated { get; init; }
        public DateTimeOffset? DecidedAt { get; init; }
    }
}
