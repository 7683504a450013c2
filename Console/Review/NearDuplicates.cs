using Dapper;
using Microsoft.Extensions.Options;
using ModerationConsole.Data;
using ModerationConsole.Hashing;

namespace ModerationConsole.Review;

/// <summary>A pending item that looks like part of the same wave as the one under review, and why.</summary>
public sealed class NearDuplicate
{
    public long Id { get; init; }
    public string Queue { get; init; } = "";
    public string UserId { get; init; } = "";
    public string Prompt { get; init; } = "";
    public DateTimeOffset ReceivedAt { get; init; }
    /// <summary>Hamming distance of the PDQ hashes, when the images are near each other.</summary>
    public int? ImageDistance { get; init; }
    public bool SameUser { get; init; }
    public bool SamePrompt { get; init; }
    /// <summary>Another moderator holds it right now; a cluster decision will leave it to them.</summary>
    public bool HeldByOther { get; init; }

    /// <summary>Cosine similarity of the images' embeddings, when found by "show similar items" (<see cref="Embeddings.SimilarItems"/>).</summary>
    public double? Similarity { get; init; }

    public bool SimilarImage => ImageDistance is not null;
}

/// <summary>
/// Finds pending items near the one under review: images within the near-duplicate distance (looked up through the
/// hash bands' GIN index, then checked exactly with bit_count), the same platform user, or the same prompt shape.
/// </summary>
public sealed class NearDuplicates(Db db, IOptions<HashingOptions> options)
{
    public const int Limit = 100;

    public Task<IReadOnlyList<NearDuplicate>> FindAsync(long itemId, long viewerId, CancellationToken ct = default) => db.ReadAsync(async connection =>
    {
        var anchor = await connection.QuerySingleOrDefaultAsync<Anchor>(
            """
            select r.producer_id as producerid, r.user_id as userid, r.prompt_shape as promptshape, i.pdq, i.pdq_quality::int as quality
            from review_items r join images i on i.sha256 = r.image_sha256 where r.id = @itemId
            """, new { itemId });
        if (anchor is null) return (IReadOnlyList<NearDuplicate>)[];

        var settings = options.Value;
        var hash = anchor.Pdq is { } bits && anchor.Quality >= settings.MinQuality ? PdqHash.FromBitString(bits) : (PdqHash?)null;
        var rows = await connection.QueryAsync<NearDuplicate>(
            """
            with candidates as (
                select r.id from images i join review_items r on r.image_sha256 = i.sha256 and r.status = 'pending'
                where @hasHash and i.pdq_bands && @probes and i.pdq_quality >= @minQuality
                  and bit_count(i.pdq # @pdq::bit(256)) <= @distance
                union
                select r.id from review_items r
                where r.status = 'pending' and r.producer_id = @producerId and r.user_id = @userId
                union
                select r.id from review_items r
                where r.status = 'pending' and @promptShape::bigint is not null and r.prompt_shape = @promptShape
            )
            select r.id, r.queue, r.user_id as userid, left(r.prompt, 300) as prompt, r.received_at as receivedat,
                   case when @hasHash and i.pdq_quality >= @minQuality and bit_count(i.pdq # @pdq::bit(256)) <= @distance
                        then bit_count(i.pdq # @pdq::bit(256))::int end as imagedistance,
                   (r.producer_id = @producerId and r.user_id = @userId) as sameuser,
                   coalesce(r.prompt_shape = @promptShape, false) as sameprompt,
                   coalesce(r.claimed_by <> @viewerId and r.claim_expires_at > now(), false) as heldbyother
            from candidates c
            join review_items r on r.id = c.id
            join images i on i.sha256 = r.image_sha256
            where r.id <> @itemId and r.status = 'pending'
            order by imagedistance nulls last, r.received_at, r.id
            limit @limit
            """,
            new
            {
                itemId, viewerId, anchor.ProducerId, anchor.UserId, anchor.PromptShape,
                hasHash = hash is not null,
                pdq = hash ?? default,
                probes = hash?.BandProbes(settings.NearDuplicateDistance / 16) ?? [],
                distance = settings.NearDuplicateDistance,
                minQuality = settings.MinQuality,
                limit = Limit,
            });
        return (IReadOnlyList<NearDuplicate>)rows.ToList();
    }, ct);

    private sealed class Anchor
    {
        public long ProducerId { get; init; }
        public string UserId { get; init; } = "";
        public long? PromptShape { get; init; }
        public System.Collections.BitArray? Pdq { get; init; }
        public int? Quality { get; init; }
    }
}
