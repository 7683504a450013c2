using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Data;

namespace ModerationConsole.Review;

/// <summary>
/// Serves an item's image to the review screen. Exposure is kept to what the job needs: a moderator sees an image
/// only while holding the claim on its item; seniors and admins may look at any item.
/// </summary>
public static class ImageEndpoints
{
    public static IEndpointRouteBuilder MapReviewImages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/review/images/{itemId:long}", async (long itemId, HttpContext http, Db db) =>
        {
            var userId = http.User.UserId();
            var seesAll = http.User.Satisfies(Policies.Escalations);
            var image = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<(byte[] Bytes, string ContentType)>(
                """
                select i.bytes, i.content_type from review_items r join images i on i.sha256 = r.image_sha256
                where r.id = @itemId and (@seesAll or (r.claimed_by = @userId and r.claim_expires_at > now()))
                """, new { itemId, userId, seesAll }), http.RequestAborted);
            if (image.Bytes is null) return Results.NotFound();

            http.Response.Headers.CacheControl = "private, no-store";
            http.Response.Headers.XContentTypeOptions = "nosniff";
            return Results.File(image.Bytes, image.ContentType);
        }).RequireAuthorization(Policies.Review);
        return app;
    }
}
