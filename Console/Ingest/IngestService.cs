using ModerationConsole.Bank;
using ModerationConsole.Hashing;
using ModerationConsole.Ingest.Validation;
using ModerationConsole.Policy;
using Microsoft.Extensions.Options;

namespace ModerationConsole.Ingest;

/// <summary>
/// Turns raw JSON items into receipts: read and validate each (CPU, outside any transaction), route the valid ones by
/// the active policy, store them all in one transaction, and answer only after it committed. Rejected items store
/// nothing and never affect their neighbours in the batch.
/// </summary>
public sealed class IngestService(IngestStore store, BlockBank bank, OptOuts.OptOutRegistry optOuts, IOptions<IngestOptions> options)
{
    private readonly GenerationValidator validator = new(options.Value);

    public int MaxBatchSize => options.Value.MaxBatchSize;

    public async Task<IngestReceipt[]> SubmitAsync(long producerId, SubmittedBatch batch, CancellationToken ct)
    {
        if (batch.Count > options.Value.MaxBatchSize)
            throw new IngestBatchException($"items: a batch holds at most {options.Value.MaxBatchSize} items (got {batch.Count})");
        var items = batch.Items;

        var receipts = new IngestReceipt?[items.Count];
        var valid = new List<(int Index, ValidGeneration Generation)>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var (item, image, typeErrors) = items[i];
            if (item is null)
            {
                receipts[i] = IngestReceipt.Rejected(null, typeErrors);
                continue;
            }
            var result = validator.Validate(item, image);
            if (typeErrors.Count == 0 && result.Generation is { } generation)
            {
                valid.Add((i, generation));
                continue;
            }
            // Report everything wrong with the item at once. A field of the wrong type was left unset, so the
            // validator may also call it missing: its type error says more, and the field is named once.
            var errors = typeErrors.Concat(result.Errors.Where(e => !typeErrors.Any(t => SameField(t.Field, e.Field)))).ToList();
            receipts[i] = IngestReceipt.Rejected(items[i].GenerationId, errors);
        }

        // Decoding proves the image whole (a truncated body passes the header checks) and gives its perceptual hash;
        // it is the costliest step, so the batch's images are decoded in parallel, a core each, each waiting for its
        // share of the process's decode budget without holding a thread.
        var fingerprints = new PdqResult?[valid.Count];
        await Parallel.ForAsync(0, valid.Count, new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = Environment.ProcessorCount },
            async (k, token) => fingerprints[k] = await ImageFingerprint.TryHashAsync(valid[k].Generation.ImageBytes, token));
        var decodable = new List<(int Index, ValidGeneration Generation, PdqResult Fingerprint)>(valid.Count);
        for (var k = 0; k < valid.Count; k++)
        {
            if (fingerprints[k] is { } fingerprint)
                decodable.Add((valid[k].Index, valid[k].Generation, fingerprint));
            else
                receipts[valid[k].Index] = IngestReceipt.Rejected(valid[k].Generation.GenerationId,
                    [new FieldError("image", "the image data is truncated or corrupt and does not decode")]);
        }

        if (decodable.Count > 0)
        {
            var matches = await bank.MatchAsync(decodable.Select(d => d.Fingerprint).ToList(), ct);
            var opted = await optOuts.MatchAsync(producerId, decodable.Select(d => (d.Generation.Metadata, d.Fingerprint)).ToList(), ct);
            var candidates = decodable.Select((d, k) => new IngestCandidate(d.Generation, d.Fingerprint, matches[k], opted[k])).ToList();
            var stored = await store.StoreAsync(producerId, candidates, ct);
            for (var k = 0; k < decodable.Count; k++) receipts[decodable[k].Index] = stored[k];
        }
        return receipts.Select(r => r!).ToArray();
    }

    // "scores" (a wrong type for the whole map) covers "scores.sexual" and the like.
    private static bool SameField(string typeErrorField, string field) =>
        field == typeErrorField || field.StartsWith(typeErrorField + ".", StringComparison.Ordinal);
}

/// <summary>The batch as a whole is unusable (not an array, too large); no item in it was looked at.</summary>
public sealed class IngestBatchException(string message) : Exception(message);
