using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Decisions;
using ModerationConsole.Hashing;
using ModerationConsole.Policy;
using Npgsql;

namespace ModerationConsole.Ingest;

/// <summary>A validated generation with its image's perceptual hash and, when the image is banked, the bank's match.</summary>
public sealed record IngestCandidate(ValidGeneration Generation, PdqResult Fingerprint, BankMatch? BankMatch);

/// <summary>
/// Stores validated generations: for each, its image (content-addressed, with its PDQ hash), the item with its route,
/// its upstream scores, an audit entry and, when automation decided, the decision. All items of a call share one
/// transaction.
/// </summary>
public sealed class IngestStore(Db db, DecisionWriter decisions)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task<IngestReceipt[]> StoreAsync(long producerId, IReadOnlyList<IngestCandidate> candidates, CancellationToken ct)
    {
        var items = candidates.Select(c => c.Generation).ToList();
        // Hash outside the transaction: it is the slowest per-item step and needs no database.
        var imageHashes = items.Select(i => SHA256.HashData(i.ImageBytes)).ToArray();

        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var policy = await PolicyStore.LoadActiveAsync(connection, transaction);
            var receipts = new IngestReceipt[items.Count];
            var automatic = new List<PendingDecision>();
            var anyQueued = false;

            for (var i = 0; i < items.Count; i++)
            {
                var item = items[i];
                var bankMatch = candidates[i].BankMatch;
                var route = Router.Route(policy.Document, new RouteInput(item.Scores, bankMatch, item.Jurisdiction, item.UserTier));
                var inserted = await InsertItemAsync(connection, transaction, producerId, item, imageHashes[i], candidates[i].Fingerprint,
                    policy.Version, route);
                if (inserted is null)
                {
                    var existing = await connection.QuerySingleAsync<(long Id, string Route)>(
                        "select id, route from review_items where producer_id = @producerId and generation_id = @generationId",
                        new { producerId, generationId = item.GenerationId }, transaction);
                    receipts[i] = new IngestReceipt(item.GenerationId, ReceiptStatus.Duplicate, existing.Id, existing.Route, null);
                    continue;
                }

                var itemId = inserted.Value;
                await InsertScoresAsync(connection, transaction, itemId, item.Scores);
                await AuditLog.AppendAsync(connection, transaction, Actor.Producer(producerId), AuditActions.ItemIngested, itemId, new
                {
                    item.GenerationId,
                    route = route.Route,
                    route.Queue,
                    route.Categories,
                    policyVersion = policy.Version,
                    image = Convert.ToHexStringLower(imageHashes[i]),
                    pdq = candidates[i].Fingerprint.Hash.ToString(),
                    pdqQuality = candidates[i].Fingerprint.Quality,
                    bankMatch = bankMatch is null ? null : new { entry = bankMatch.BankEntryId, bankMatch.Distance, bankMatch.Categories },
                });
                if (route.IsAutomaticDecision)
                    automatic.Add(PendingDecision.Automatic(itemId, producerId, item.UserId, route, policy.Document) with
                    {
                        Note = bankMatch is null ? null : $"Matched block bank entry #{bankMatch.BankEntryId} at distance {bankMatch.Distance} of 256.",
                    });
                else
                    anyQueued = true;
                receipts[i] = new IngestReceipt(item.GenerationId, ReceiptStatus.Accepted, itemId, route.Route, null);
            }

            // Decisions last: writing them takes the producer's cursor lock, held from here to commit only.
            await decisions.WriteAsync(connection, transaction, automatic);
            if (anyQueued) await QueueSignals.NotifyAsync(connection, transaction);
            return receipts;
        }, ct);
    }

    private static async Task<long?> InsertItemAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        long producerId, ValidGeneration item, byte[] imageHash, PdqResult fingerprint, int policyVersion, RouteResult route)
    {
        await connection.ExecuteAsync(
            """
            insert into images (sha256, content_type, width, height, byte_length, bytes, pdq, pdq_quality, pdq_bands)
            values (@hash, @contentType, @width, @height, @length, @bytes, @pdq::bit(256), @quality, @bands)
            on conflict (sha256) do nothing
            """,
            new
            {
                hash = imageHash, contentType = item.Image.ContentType, width = item.Image.Width, height = item.Image.Height,
                length = item.ImageBytes.Length, bytes = item.ImageBytes,
                pdq = fingerprint.Hash, quality = (short)fingerprint.Quality, bands = fingerprint.Hash.BandKeys(),
            }, transaction);

        // On a repeated generationId nothing is inserted and nothing returned: the caller answers "duplicate".
        return await connection.QuerySingleOrDefaultAsync<long?>(
            """
            insert into review_items (producer_id, generation_id, user_id, prompt, negative_prompt, model, created_at,
                image_sha256, jurisdiction, user_tier, age_verified, metadata, policy_version, route, queue, status,
                priority, route_categories, prompt_shape)
            values (@producerId, @generationId, @userId, @prompt, @negativePrompt, @model, @createdAt,
                @imageHash, @jurisdiction, @userTier, @ageVerified, @metadata::jsonb, @policyVersion, @route, @queue, @status,
                @priority, @categories, @promptShape)
            on conflict (producer_id, generation_id) do nothing
            returning id
            """,
            new
            {
                producerId, item.GenerationId, item.UserId, item.Prompt, item.NegativePrompt, item.Model,
                createdAt = item.CreatedAt.ToUniversalTime(), // Npgsql writes timestamptz from UTC offsets only
                imageHash, item.Jurisdiction, item.UserTier, item.AgeVerified,
                metadata = item.Metadata.Count == 0 ? null : JsonSerializer.Serialize(item.Metadata, Json),
                policyVersion, route = route.Route, queue = route.Queue,
                status = route.IsAutomaticDecision ? "decided" : "pending",
                priority = route.Priority, categories = route.Categories.ToArray(), promptShape = PromptShape.Of(item.Prompt),
            }, transaction);
    }

    private static Task InsertScoresAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long itemId, IReadOnlyDictionary<string, double> scores) =>
        scores.Count == 0
            ? Task.CompletedTask
            : connection.ExecuteAsync(
                """
                insert into item_scores (item_id, source, category, score)
                select @itemId, 'upstream', category, score from unnest(@categories, @scores) as s (category, score)
                """,
                new { itemId, categories = scores.Keys.ToArray(), scores = scores.Values.ToArray() }, transaction);
}
