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
public sealed record IngestCandidate(ValidGeneration Generation, PdqResult Fingerprint, BankMatch? BankMatch, OptOuts.OptOutMatch? OptOut = null);

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
            var routes = items.Select((item, i) =>
                Router.Route(policy.Document, new RouteInput(item.Scores, candidates[i].BankMatch, item.Jurisdiction, item.UserTier, item.AgeVerified,
                    candidates[i].OptOut?.OptOutId))).ToArray();

            var itemIds = new long?[items.Count];
            await using (var command = StoreItemsCommand(connection, transaction, producerId, candidates, items, imageHashes, policy.Version, routes))
            await using (var reader = await command.ExecuteReaderAsync(ct))
                while (await reader.ReadAsync(ct))
                    itemIds[reader.GetInt32(1)] = reader.GetInt64(0);

            var existing = itemIds.Contains(null)
                ? await ExistingAsync(connection, transaction, producerId, items.Where((_, i) => itemIds[i] is null).Select(i => i.GenerationId))
                : [];
            var receipts = new IngestReceipt[items.Count];
            var automatic = new List<PendingDecision>();
            var anyQueued = false;
            for (var i = 0; i < items.Count; i++)
            {
                var item = items[i];
                var route = routes[i];
                if (itemIds[i] is not { } itemId)
                {
                    var (id, storedRoute) = existing[item.GenerationId];
                    receipts[i] = new IngestReceipt(item.GenerationId, ReceiptStatus.Duplicate, id, storedRoute, null);
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
            await decisions.WriteAsync(connection, transaction, automatic, policy.Document);
            if (anyQueued) await QueueSignals.NotifyAsync(connection, transaction);
            return receipts;
        }, ct);
    }

    /// <summary>The stored item and route of each generation id this producer sent before (or earlier in the same call).</summary>
    private static async Task<Dictionary<string, (long Id, string Route)>> ExistingAsync(NpgsqlConnection connection,
        NpgsqlTransaction transaction, long producerId, IEnumerable<string> generationIds)
    {
        var rows = await connection.QueryAsync<(string GenerationId, long Id, string Route)>(
            "select generation_id, id, route from review_items where producer_id = @producerId and generation_id = any(@generationIds)",
            new { producerId, generationIds = generationIds.Distinct().ToArray() }, transaction);
        return rows.ToDictionary(r => r.GenerationId, r => (r.Id, r.Route));
    }

    /// <summary>
    /// One statement for all items of the call (PostgreSQL's per-statement work, planning included, is paid once per
    /// call, not once per item): each image (content-addressed, so a repeat is skipped), each item (skipped on a
    /// repeated generationId, and then nothing else is written for it and no row returned: the caller answers
    /// "duplicate"), its upstream scores and its audit entry. The columns come as arrays side by side, one element per
    /// item; <c>ord</c> is the item's place in the call, counted from 0. Within a call the first of several items with
    /// one generationId is the one stored. The images are unnested on their own so that their bytes are never held in
    /// the materialised <c>input</c>.
    /// </summary>
    private const string StoreItemsSql =
        $"""
        with image as (
            insert into images (sha256, content_type, width, height, byte_length, bytes, pdq, pdq_quality, pdq_bands)
            select sha256, content_type, width, height, byte_length, bytes, pdq::bit(256), quality,
                   (@bands::int[])[n::int * 16 - 15 : n::int * 16]
            from unnest(@imageHashes::bytea[], @contentTypes::text[], @widths::int[], @heights::int[], @lengths::int[],
                        @bytes::bytea[], @pdqs::varbit[], @qualities::smallint[])
                 with ordinality as i (sha256, content_type, width, height, byte_length, bytes, pdq, quality, n)
            order by n
            on conflict (sha256) do nothing),
        input as (
            select i.*, (n - 1)::int as ord
            from unnest(@generationIds::text[], @userIds::text[], @prompts::text[], @negativePrompts::text[], @models::text[],
                        @createdAts::timestamptz[], @imageHashes::bytea[], @jurisdictions::text[], @userTiers::text[],
                        @ageVerified::boolean[], @metadata::jsonb[], @routes::text[], @queues::text[], @statuses::text[],
                        @priorities::int[], @categories::jsonb[], @promptShapes::bigint[], @details::jsonb[], @languages::text[],
                        @optOuts::bigint[])
                 with ordinality as i (generation_id, user_id, prompt, negative_prompt, model, created_at, image_sha256,
                        jurisdiction, user_tier, age_verified, metadata, route, queue, status, priority, categories,
                        prompt_shape, details, language, opt_out_id, n)),
        first as (
            select distinct on (generation_id) * from input order by generation_id, ord),
        item as (
            insert into review_items (producer_id, generation_id, user_id, prompt, negative_prompt, model, created_at,
                image_sha256, jurisdiction, user_tier, age_verified, metadata, policy_version, route, queue, status,
                priority, route_categories, prompt_shape, language, opt_out_id)
            select @producerId, generation_id, user_id, prompt, negative_prompt, model, created_at,
                image_sha256, jurisdiction, user_tier, age_verified, metadata, @policyVersion, route, queue, status,
                priority, array(select jsonb_array_elements_text(categories)), prompt_shape, language, opt_out_id
            from first
            order by ord
            on conflict (producer_id, generation_id) do nothing
            returning id, generation_id),
        stored as (
            select item.id, first.ord, first.details from item join first using (generation_id)),
        scores as (
            insert into item_scores (item_id, source, category, score)
            select stored.id, 'upstream', s.category, s.score
            from unnest(@scoreOrds::int[], @scoreCategories::text[], @scores::float8[]) as s (ord, category, score)
            join stored using (ord)),
        audited as (
            {AuditLog.Insert}
            select 'producer', @actorId, @action, id, details from stored order by ord)
        select id, ord from stored
        """;

    private static NpgsqlCommand StoreItemsCommand(NpgsqlConnection connection, NpgsqlTransaction transaction, long producerId,
        IReadOnlyList<IngestCandidate> candidates, IReadOnlyList<ValidGeneration> items, byte[][] imageHashes, int policyVersion,
        RouteResult[] routes)
    {
        var command = new NpgsqlCommand(StoreItemsSql, connection, transaction);
        void Add(string name, object value) => command.Parameters.AddWithValue(name, value);

        Add("imageHashes", imageHashes);
        Add("contentTypes", items.Select(i => i.Image.ContentType).ToArray());
        Add("widths", items.Select(i => i.Image.Width).ToArray());
        Add("heights", items.Select(i => i.Image.Height).ToArray());
        Add("lengths", items.Select(i => i.ImageBytes.Length).ToArray());
        Add("bytes", items.Select(i => i.ImageBytes).ToArray());
        command.Parameters.Add(new NpgsqlParameter("pdqs", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Varbit)
        {
            Value = candidates.Select(c => c.Fingerprint.Hash.ToBitString()).ToArray(),
        });
        Add("qualities", candidates.Select(c => (short)c.Fingerprint.Quality).ToArray());
        Add("bands", candidates.SelectMany(c => c.Fingerprint.Hash.BandKeys()).ToArray());

        Add("producerId", producerId);
        Add("policyVersion", policyVersion);
        Add("generationIds", items.Select(i => i.GenerationId).ToArray());
        Add("userIds", items.Select(i => i.UserId).ToArray());
        Add("prompts", items.Select(i => i.Prompt).ToArray());
        Add("negativePrompts", items.Select(i => i.NegativePrompt).ToArray());
        Add("models", items.Select(i => i.Model).ToArray());
        // Npgsql writes timestamptz from UTC offsets only.
        Add("createdAts", items.Select(i => i.CreatedAt.ToUniversalTime()).ToArray());
        Add("jurisdictions", items.Select(i => i.Jurisdiction).ToArray());
        Add("userTiers", items.Select(i => i.UserTier).ToArray());
        Add("ageVerified", items.Select(i => i.AgeVerified).ToArray());
        Add("metadata", items.Select(i => i.Metadata.Count == 0 ? null : JsonSerializer.Serialize(i.Metadata, Json)).ToArray());
        Add("routes", routes.Select(r => r.Route).ToArray());
        Add("queues", routes.Select(r => r.Queue).ToArray());
        Add("statuses", routes.Select(r => r.IsAutomaticDecision ? "decided" : "pending").ToArray());
        Add("priorities", routes.Select(r => r.Priority).ToArray());
        Add("categories", routes.Select(r => JsonSerializer.Serialize(r.Categories, Json)).ToArray());
        Add("promptShapes", items.Select(i => PromptShape.Of(i.Prompt)).ToArray());
        Add("languages", items.Select(i => i.Language).ToArray());
        Add("optOuts", candidates.Select(c => c.OptOut?.OptOutId).ToArray());
        Add("details", candidates.Select((c, i) =>
            AuditDetails(c.Generation.GenerationId, imageHashes[i], policyVersion, routes[i], c.Fingerprint, c.BankMatch, c.OptOut)).ToArray());

        var scores = items.SelectMany((item, ord) => item.Scores.Select(s => (Ord: ord, Category: s.Key, Score: s.Value))).ToArray();
        Add("scoreOrds", scores.Select(s => s.Ord).ToArray());
        Add("scoreCategories", scores.Select(s => s.Category).ToArray());
        Add("scores", scores.Select(s => s.Score).ToArray());

        Add("actorId", Actor.Producer(producerId).Id);
        Add("action", AuditActions.ItemIngested);
        return command;
    }

    /// <summary>The ingest audit entry's details (internal for bench ingest, whose COPY rows carry the same entry).</summary>
    internal static string AuditDetails(string generationId, byte[] imageHash, int policyVersion, RouteResult route,
        PdqResult fingerprint, BankMatch? bankMatch, OptOuts.OptOutMatch? optOut = null) =>
        JsonSerializer.Serialize(new
        {
            generationId,
            route = route.Route,
            route.Queue,
            route.Categories,
            policyVersion,
            image = Convert.ToHexStringLower(imageHash),
            pdq = fingerprint.Hash.ToString(),
            pdqQuality = fingerprint.Quality,
            bankMatch = bankMatch is { } match ? new { entry = match.BankEntryId, match.Distance, match.Categories } : null,
            optOut = optOut is { } opted ? new { id = opted.OptOutId, opted.Kind } : null,
        }, Json);
}
