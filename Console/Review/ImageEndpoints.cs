using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Data;

namespace ModerationConsole.Review;

/// <summary>
/// Serves an item's image to the review screen. Exposure is kept to what the job needs: a moderator sees an image
/// while holding the claim on its item, and again among their own decisions ("My decisions"); seniors and admins may
/// look at any item.
/// </summary>
public static class ImageEndpoints
{
    private static IResult ImageResult(HttpContext http, byte[] bytes, string contentType)
    {
        http.Response.Headers.CacheControl = "private, no-store";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return Results.File(bytes, contentType);
    }

    public static IEndpointRouteBuilder MapReviewImages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/review/images/{itemId:long}", async (long itemId, HttpContext http, Db db) =>
        {
            var userId = http.User.UserId();
            var seesAll = http.User.Satisfies(Policies.Escalations);
            // Once an image belongs to a child-safety case, only specialists see it (Cases/).
            var childSafety = http.User.Satisfies(Policies.ChildSafety);
            var image = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<(byte[] Bytes, string ContentType)>(
                $"""
                select i.bytes, i.content_type from review_items r join images i on i.sha256 = r.image_sha256
                where r.id = @itemId and (@seesAll or (r.claimed_by = @userId and r.claim_expires_at > now())
                                          or exists (select 1 from decisions d where d.item_id = r.id and d.decided_by = @userId))
                  and (@childSafety or not {Cases.CaseStore.InChildSafetyCaseSql("r.id")})
                """, new { itemId, userId, seesAll, childSafety }), http.RequestAborted);
            if (image.Bytes is null) return Results.NotFound();

            return ImageResult(http, image.Bytes, image.ContentType);
        }).RequireAuthorization(Policies.Review);

        // A near-duplicate's image, for the moderator deciding the cluster: only while they hold the claim on the item
        // under review, and only for a pending item that really is near it (same user, same prompt shape, an image within
        // the near-duplicate distance, or one near in content by its embedding), so the route cannot be used to browse the queue.
        app.MapGet("/review/images/{itemId:long}/similar/{otherId:long}", async (long itemId, long otherId, HttpContext http, Db db,
            Microsoft.Extensions.Options.IOptions<Hashing.HashingOptions> options) =>
        {
            var userId = http.User.UserId();
            var seesAll = http.User.Satisfies(Policies.Escalations);
            var childSafety = http.User.Satisfies(Policies.ChildSafety);
            var image = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<(byte[] Bytes, string ContentType)>(
                $"""
                select oi.bytes, oi.content_type
                from review_items a join images ai on ai.sha256 = a.image_sha256,
                     review_items o join images oi on oi.sha256 = o.image_sha256
                where a.id = @itemId and o.id = @otherId and o.status = 'pending'
                  and (@seesAll or (a.claimed_by = @userId and a.claim_expires_at > now()))
                  and ((o.producer_id = a.producer_id and o.user_id = a.user_id)
                       or o.prompt_shape = a.prompt_shape
                       or (ai.pdq_quality >= @minQuality and oi.pdq_quality >= @minQuality and bit_count(ai.pdq # oi.pdq) <= @distance)
                       or {Embeddings.SimilarItems.NeighboursSql("a", "o")})
                  and (@childSafety or not {Cases.CaseStore.InChildSafetyCaseSql("o.id")})
                """, new { itemId, otherId, userId, seesAll, childSafety, minQuality = options.Value.MinQuality, distance = options.Value.NearDuplicateDistance }),
                http.RequestAborted);
            if (image.Bytes is null) return Results.NotFound();
            return ImageResult(http, image.Bytes, image.ContentType);
        }).RequireAuthorization(Policies.Review);
        return app;
    }
}
