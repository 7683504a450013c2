using Dapper;
using Microsoft.Extensions.Options;
using ModerationConsole.Data;
using ModerationConsole.Hashing;
using ModerationConsole.Policy;

namespace ModerationConsole.Bank;

/// <summary>
/// The block bank as each console instance sees it: the active entries in a <see cref="BankIndex"/>, caught up from
/// the database before every lookup by reading the changes since the last one seen (cheap: an index range, usually
/// empty), so an entry banked by any instance matches on every instance from its next lookup on.
/// </summary>
public sealed class BlockBank(Db db, IOptions<HashingOptions> options)
{
    private const int ChangesPerRead = 50_000;
    private readonly BankIndex index = new();
    private readonly SemaphoreSlim catchingUp = new(1, 1);
    private long seenChange;

    public int Count => index.Count;

    /// <summary>The in-memory index as it stands (for the benchmark); lookups should go through <see cref="MatchAsync"/>.</summary>
    internal BankIndex Index => index;

    public HashingOptions Options => options.Value;

    /// <summary>Whether a hash of this quality is used for banking and matching at all.</summary>
    public bool IsUsable(PdqResult fingerprint) => fingerprint.Quality >= options.Value.MinQuality;

    /// <summary>Matches for each fingerprint (null where there is none or the hash is unusable), after catching up.</summary>
    public async Task<BankMatch?[]> MatchAsync(IReadOnlyList<PdqResult> fingerprints, CancellationToken ct)
    {
        await CatchUpAsync(ct);
        var hits = new BankHit?[fingerprints.Count];
        var any = false;
        for (var i = 0; i < fingerprints.Count; i++)
        {
            if (!IsUsable(fingerprints[i])) continue;
            hits[i] = index.Match(fingerprints[i].Hash, options.Value.BankMatchDistance);
            any |= hits[i] is not null;
        }
        var matches = new BankMatch?[fingerprints.Count];
        if (!any) return matches;

        var entryIds = hits.OfType<BankHit>().Select(h => h.EntryId).Distinct().ToArray();
        var categories = await db.ReadAsync(async connection =>
            (await connection.QueryAsync<(long Id, string[] Categories)>(
                "select id, categories from block_bank where id = any(@entryIds)", new { entryIds }))
            .ToDictionary(r => r.Id, r => r.Categories), ct);
        for (var i = 0; i < hits.Length; i++)
            if (hits[i] is { } hit && categories.TryGetValue(hit.EntryId, out var entryCategories))
                matches[i] = new BankMatch(hit.EntryId, hit.Distance, entryCategories);
        return matches;
    }

    /// <summary>Reads every bank change committed since the last one applied.</summary>
    public async Task CatchUpAsync(CancellationToken ct = default)
    {
        await catchingUp.WaitAsync(ct);
        try
        {
            while (true)
            {
                var changes = await db.ReadAsync(connection => BankStore.ChangesSinceAsync(connection, seenChange, ChangesPerRead), ct);
                // Additions go in together (one rebuild of the buckets at most), then removals, in change order.
                index.AddRange(changes.Where(c => !c.Removed).Select(c => (c.Id, c.Hash)).ToList());
                foreach (var change in changes.Where(c => c.Removed)) index.Remove(change.Id);
                if (changes.Count > 0) seenChange = changes[^1].ChangeSeq;
                if (changes.Count < ChangesPerRead) return;
            }
        }
        finally
        {
            catchingUp.Release();
        }
    }
}
