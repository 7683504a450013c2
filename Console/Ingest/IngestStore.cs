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

            // Every item's statement goes out in one batch (one round trip for the whole call); see StoreItemSql.
            await using var batch = new NpgsqlBatch(connection, transaction);
            var routes = new RouteResult[items.Count];
            for (var i = 0; i < items.Count; i++)
            {
                var bankMatch = candidates[i].BankMatch;
                routes[i] = Router.Route(policy.Document, new RouteInput(items[i].Scores, bankMatch, items[i].Jurisdiction, items[i].UserTier));
                batch.BatchCommands.Add(StoreItemCommand(producerId, items[i], imageHashes[i], candidates[i].Fingerprint, bankMatch,
                    policy.Version, routes[i]));
            }
            var itemIds = new long?[items.Count];
            await using (var reader = await batch.ExecuteReaderAsync(ct))
                for (var i = 0; i < items.Count; i++, await reader.NextResultAsync(ct))
                    if (await reader.ReadAsync(ct)) itemIds[i] = reader.GetInt64(0);

            for (var i = 0; i < items.Count; i++)
            {
                var item = items[i];
                var route = routes[i];
                if (itemIds[i] is not { } itemId)
                {
                    var existing = await connection.QuerySingleAsync<(long Id, string Route)>(
                        "select id, route from review_items where producer_id = @producerId and generation_id = @generationId",
                        new { producerId, generationId = item.GenerationId }, transaction);
                    receipts[i] = new IngestReceipt(item.GenerationId, ReceiptStatus.Duplicate, existing.Id, existing.Route, null);
                    continue;
                }
                var bankMatch = candidates[i].BankMatch;
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

    /// <summary>
    /// One statement per item: its image (content-addressed, so a repeat is skipped), the item (skipped on a repeated
    /// generationId, and then nothing else is written and no id returned: the caller answers "duplicate"), its upstream
    /// scores and its audit entry.
    /// </summary>
    private const string StoreItemSql =
        $"""
        with image as (
            insert into images (sha256, content_type, width, height, byte_length, bytes, pdq, pdq_quality, pdq_bands)
            values (@imageHash, @contentType, @width, @height, @length, @bytes, @pdq::bit(256), @quality, @bands)
            on conflict (sha256) do nothing),
        item as (
            insert into review_items (producer_id, generation_id, user_id, prompt, negative_prompt, model, created_at,
                image_sha256, jurisdiction, user_tier, age_verified, metadata, policy_version, route, queue, status,
                priority, route_categories, prompt_shape)
            values (@producerId, @generationId, @userId, @prompt, @negativePrompt, @model, @createdAt,
                @imageHash, @jurisdiction, @userTier, @ageVerified, @metadata::jsonb, @policyVersion, @route, @queue, @status,
                @priority, @categories, @promptShape)
            on conflict (producer_id, generation_id) do nothing
            returning id),
        scores as (
            insert into item_scores (item_id, source, category, score)
            select item.id, 'upstream', s.category, s.score from item, unnest(@scoreCategories::text[], @scores::float8[]) as s (category, score)),
        audited as (
            {AuditLog.Insert}
            select 'producer', @actorId, @action, item.id, @details::jsonb from item)
        select id from item
        """;

    private static NpgsqlBatchCommand StoreItemCommand(long producerId, ValidGeneration item, byte[] imageHash, PdqResult fingerprint,
        BankMatch? bankMatch, int policyVersion, RouteResult route)
    {
        var details = JsonSerializer.Serialize(new
        {
            item.GenerationId,
            route = route.Route,
            route.Queue,
            route.Categories,
            policyVersion,
            image = Convert.ToHexStringLower(imageHash),
            pdq = fingerprint.Hash.ToString(),
            pdqQuality = fingerprint.Quality,
            bankMatch = bankMatch is null ? null : new { entry = bankMatch.BankEntryId, bankMatch.Distance, bankMatch.Categories },
        }, Json);
        var command = BatchCommand.Of(StoreItemSql,
            ("imageHash", imageHash), ("contentType", item.Image.ContentType), ("width", item.Image.Width), ("height", item.Image.Height),
            ("length", item.ImageBytes.Length), ("bytes", item.ImageBytes),
            ("quality", (short)fingerprint.Quality), ("bands", fingerprint.Hash.BandKeys()),
            ("producerId", producerId), ("generationId", item.GenerationId), ("userId", item.UserId), ("prompt", item.Prompt),
            ("negativePrompt", item.NegativePrompt), ("model", item.Model),
            ("createdAt", item.CreatedAt.ToUniversalTime()), // Npgsql writes timestamptz from UTC offsets only
            ("jurisdiction", item.Jurisdiction), ("userTier", item.UserTier), ("ageVerified", item.AgeVerified),
            ("metadata", item.Metadata.Count == 0 ? null : JsonSerializer.Serialize(item.Metadata, Json)),
            ("policyVersion", policyVersion), ("route", route.Route), ("queue", route.Queue),
            ("status", route.IsAutomaticDecision ? "decided" : "pending"), ("priority", route.Priority),
            ("categories", route.Categories.ToArray()), ("promptShape", PromptShape.Of(item.Prompt)),
            ("scoreCategories", item.Scores.Keys.ToArray()), ("scores", item.Scores.Values.ToArray()),
            ("actorId", Actor.Producer(producerId).Id), ("action", AuditActions.ItemIngested), ("details", details));
        command.Parameters.Add(new NpgsqlParameter("pdq", NpgsqlTypes.NpgsqlDbType.Varbit) { Value = fingerprint.Hash.ToBitString() });
        return command;
    }
}
