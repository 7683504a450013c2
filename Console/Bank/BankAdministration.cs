using System.Security.Claims;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Hashing;
using ModerationConsole.Policy;
using Npgsql;

namespace ModerationConsole.Bank;

/// <summary>A problem with one line of an import, named by its line number.</summary>
public sealed record ImportProblem(int Line, string Message);

public sealed class BankImportException(IReadOnlyList<ImportProblem> problems)
    : Exception(string.Join("; ", problems.Take(5).Select(p => $"line {p.Line}: {p.Message}")))
{
    public IReadOnlyList<ImportProblem> Problems { get; } = problems;
}

/// <summary>
/// Adding to and taking from the block bank, each change audited in its transaction: from a moderator's block (in the
/// block's own transaction), from a hash list shared by another platform or an industry hash-sharing programme, and
/// removal of an entry that blocked what it should not have. Imports and removals are for seniors and admins.
/// </summary>
public sealed class BankAdministration(Db db, BlockBank bank)
{
    public const int MaxImportLines = 100_000;
    public const int MaxNoteLength = 500;

    public int MatchDistance => bank.Options.BankMatchDistance;

    /// <summary>Banks the image of an item being blocked; the caller's transaction holds the block itself.</summary>
    public async Task<long?> AddFromItemAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long userId, long itemId,
        IReadOnlyList<string> categories)
    {
        var (usable, problem) = await UsableFingerprintAsync(connection, transaction, itemId);
        if (usable is not { } fingerprint) throw new BankException(problem!);
        return await BankStore.AddAsync(connection, transaction, Actor.User(userId), fingerprint.Hash, fingerprint.Quality, categories,
            "decision", itemId, null, userId);
    }

    /// <summary>
    /// Banks an item's image in one of the dedicated banks (<see cref="BankNames"/>) on the console's own initiative, in
    /// the caller's transaction: a confirmed child-safety case, or a removal request acted on. Returns a sentence saying
    /// why not when the image cannot be banked (no hash, or too plain), and null when it is banked or was already.
    /// </summary>
    public async Task<string?> AddToBankAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Actor actor, long itemId,
        IReadOnlyList<string> categories, string bankName, string source, string note)
    {
        var (usable, problem) = await UsableFingerprintAsync(connection, transaction, itemId);
        if (usable is not { } fingerprint) return problem;
        await BankStore.AddAsync(connection, transaction, actor, fingerprint.Hash, fingerprint.Quality, categories, source, itemId, note,
            actor.Kind == ActorKind.User ? long.Parse(actor.Id, System.Globalization.CultureInfo.InvariantCulture) : null, bankName);
        return null;
    }

    /// <summary>The item's PDQ hash when it may be banked; otherwise a sentence saying why not.</summary>
    private async Task<(PdqResult? Fingerprint, string? Problem)> UsableFingerprintAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        long itemId)
    {
        var image = await connection.QuerySingleAsync<(System.Collections.BitArray? Pdq, short? Quality)>(
            "select i.pdq, i.pdq_quality from review_items r join images i on i.sha256 = r.image_sha256 where r.id = @itemId",
            new { itemId }, transaction);
        if (image.Pdq is null)
            return (null, "This image has no perceptual hash (it arrived before hashing was introduced), so it cannot be banked.");
        var fingerprint = new PdqResult(PdqHash.FromBitString(image.Pdq), image.Quality ?? 0);
        return bank.IsUsable(fingerprint)
            ? (fingerprint, null)
            : (null, $"This image is too plain to bank safely (PDQ quality {fingerprint.Quality}, the minimum is {bank.Options.MinQuality}): " +
                     "plain images hash alike, and banking it would block unrelated pictures.");
    }

    /// <summary>
    /// Imports hashes, one per line (64 hex digits; blank lines and lines starting with # are skipped). Every line is
    /// checked first and any problem refuses the whole import, naming each bad line; nothing is half-imported.
    /// </summary>
    public async Task<int> ImportAsync(ClaimsPrincipal user, string text, IReadOnlyList<string> categories, string? note, CancellationToken ct = default)
    {
        var userId = Require(user);
        note = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
        if (note is { Length: > MaxNoteLength }) throw new BankException($"note: at most {MaxNoteLength} characters (it has {note.Length}).");
        if (categories.Count == 0) throw new BankException("categories: choose at least one policy category for the imported hashes.");

        var hashes = new List<PdqHash>();
        var problems = new List<ImportProblem>();
        var lines = text.Split('\n');
        if (lines.Length > MaxImportLines) throw new BankException($"An import holds at most {MaxImportLines} lines (this one has {lines.Length}).");
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            // Hash lists often carry more columns (quality, a label): the hash is the first.
            var first = line.Split([',', ' ', '\t'], 2)[0];
            if (PdqHash.TryParse(first, out var hash)) hashes.Add(hash);
            else problems.Add(new ImportProblem(i + 1, "not a PDQ hash (64 hexadecimal digits)"));
        }
        if (problems.Count > 0) throw new BankImportException(problems);
        if (hashes.Count == 0) throw new BankException("hashes: the list holds no hash.");

        var added = await db.InTransactionAsync(async (connection, transaction) =>
        {
            var policy = await PolicyStore.LoadActiveAsync(connection, transaction);
            var unknown = categories.Where(c => policy.Document.Find(c) is null).ToList();
            if (unknown.Count > 0) throw new BankException($"categories: unknown policy category {string.Join(", ", unknown)}.");
            var count = 0;
            foreach (var hash in hashes.Distinct())
                if (await BankStore.AddAsync(connection, transaction, Actor.User(userId), hash, null, categories, "import", null, note, userId) is not null)
                    count++;
            return count;
        }, ct);
        await bank.CatchUpAsync(ct);
        return added;
    }

    public async Task RemoveAsync(ClaimsPrincipal user, long entryId, string reason, CancellationToken ct = default)
    {
        var userId = Require(user);
        reason = reason?.Trim() ?? "";
        if (reason.Length == 0) throw new BankException("reason: say why the entry is taken out of the bank.");
        if (reason.Length > MaxNoteLength) throw new BankException($"reason: at most {MaxNoteLength} characters (it has {reason.Length}).");
        var removed = await db.InTransactionAsync((connection, transaction) => BankStore.RemoveAsync(connection, transaction, userId, entryId, reason), ct);
        if (!removed) throw new BankException($"Bank entry #{entryId} does not exist or was already taken out.");
        await bank.CatchUpAsync(ct);
    }

    public async Task<(IReadOnlyList<BankEntry> Entries, long Total)> ListAsync(ClaimsPrincipal user, long? beforeId, int limit, CancellationToken ct = default)
    {
        Require(user);
        return await db.ReadAsync(async connection => (await BankStore.ListAsync(connection, beforeId, limit), await BankStore.CountAsync(connection)), ct);
    }

    private static long Require(ClaimsPrincipal user) =>
        user.UserIdUnder(Policies.Bank, "Your role may not manage the block bank.");
}

public sealed class BankException(string message) : Exception(message);
