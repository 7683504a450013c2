using System.Security.Cryptography;
using System.Security.Claims;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Scoring.Manifest;
using Npgsql;

namespace ModerationConsole.Scoring;

/// <summary>A row of <c>classifier_versions</c> as admins see it (without the weights).</summary>
/// <param name="ShadowSince">In shadow mode since then: scores new items, shown beside the others, routes nothing.</param>
/// <param name="ReplacedVersion">The version that was active when this one was activated (what rolling back restores).</param>
public sealed record ClassifierVersion(string Name, string Version, string Modality, string Manifest, bool Stored,
    string? Metrics, bool Active, DateTimeOffset CreatedAt, long? CreatedBy, DateTimeOffset? ShadowSince = null, string? ReplacedVersion = null)
{
    public string Source => $"{Name}@{Version}";

    public ClassifierManifest ParsedManifest => ClassifierManifest.Parse(Manifest);
    public bool InShadow => ShadowSince is not null;
    public bool IsHead => Modality == "head";
    public Heads.HeadCategoryMetrics[] ParsedHeadMetrics => Metrics is null || !IsHead ? [] : System.Text.Json.JsonSerializer.Deserialize<Heads.HeadCategoryMetrics[]>(Metrics, ClassifierManifest.Json) ?? [];
    public CategoryMetrics[] ParsedMetrics => Metrics is null ? [] : System.Text.Json.JsonSerializer.Deserialize<CategoryMetrics[]>(Metrics, ClassifierManifest.Json) ?? [];
}

/// <summary>Held-out figures for one category at the 0.5 threshold.</summary>
/// <param name="HeldOut">What the version was tested on: <see cref="CategoryMetrics.OnDecisions"/> or <see cref="CategoryMetrics.OnShippedPrompts"/>.</param>
/// <param name="Examples">How many held-out examples there were in all.</param>
public sealed record CategoryMetrics(string Category, int Positives, int TruePositives, int FalsePositives, double Precision, double Recall,
    string? HeldOut = null, int Examples = 0)
{
    /// <summary>The latest moderators' decisions, from users not trained on (<see cref="Training.HeldOutSplit"/>).</summary>
    public const string OnDecisions = "decisions";

    /// <summary>The synthetic prompts shipped with the console: they say the model works, not how well on this platform.</summary>
    public const string OnShippedPrompts = "shipped";

    public bool TooFewToTrust => Positives < Training.HeldOutSplit.TrustworthyPositives;
}

/// <summary>Classifier versions in PostgreSQL: registration, activation, the weights of self-trained models. Every write is audited.</summary>
public sealed class ClassifierStore(Db db)
{
    public Task<IReadOnlyList<ClassifierVersion>> ListAsync(CancellationToken ct = default) => db.ReadAsync<IReadOnlyList<ClassifierVersion>>(async c =>
        (await c.QueryAsync<ClassifierVersion>(
            """
            select name, version, modality, manifest::text as manifest, onnx is not null as stored, metrics::text as metrics,
                   active, created_at as createdAt, created_by as createdBy, shadow_since as shadowSince, replaced_version as replacedVersion
            from classifier_versions order by name, created_at desc, version desc
            """)).AsList(), ct);

    /// <summary>The manifest and, for a self-trained model, its ONNX bytes; null when no such version is registered.</summary>
    public Task<(ClassifierManifest Manifest, byte[]? Onnx)?> FindAsync(string name, string version, CancellationToken ct = default) =>
        db.ReadAsync<(ClassifierManifest, byte[]?)?>(async c =>
        {
            var row = await c.QuerySingleOrDefaultAsync<(string Manifest, byte[]? Onnx)?>(
                "select manifest::text, onnx from classifier_versions where name = @name and version = @version", new { name, version });
            return row is { } r ? (ClassifierManifest.Parse(r.Manifest), r.Onnx) : null;
        }, ct);

    /// <summary>
    /// Registers a version (idempotent on name and version). <paramref name="onnx"/> is stored for self-trained models;
    /// for folder models only its hash is kept, to notice a file replaced under the same version. Returns false when the
    /// version was already registered (with the same bytes; different bytes are refused: a version never changes).
    /// </summary>
    public Task<bool> RegisterAsync(ClassifierManifest manifest, byte[] onnxBytes, bool storeBytes, object? metrics, Actor actor,
        long? createdBy, CancellationToken ct = default, object? training = null) => db.InTransactionAsync(async (c, tx) =>
    {
        var hash = SHA256.HashData(onnxBytes);
        var inserted = await c.ExecuteAsync(
            """
            insert into classifier_versions (name, version, modality, manifest, onnx, onnx_sha256, metrics, created_by)
            values (@Name, @Version, @Modality, @manifest::jsonb, @onnx, @hash, @metrics::jsonb, @createdBy)
            on conflict (name, version) do nothing
            """,
            new
            {
                manifest.Name, manifest.Version, manifest.Modality, manifest = manifest.ToJson(), onnx = storeBytes ? onnxBytes : null, hash,
                metrics = metrics is null ? null : System.Text.Json.JsonSerializer.Serialize(metrics, ClassifierManifest.Json), createdBy,
            }, tx);
        if (inserted == 0)
        {
            var existing = await c.ExecuteScalarAsync<byte[]>(
                "select onnx_sha256 from classifier_versions where name = @Name and version = @Version", new { manifest.Name, manifest.Version }, tx);
            if (!existing!.AsSpan().SequenceEqual(hash))
                throw new InvalidOperationException($"{manifest.Source} is already registered with different weights: give the new model a new version.");
            return false;
        }
        // A trained model's entry says what it learnt from; a dropped-in one's names the file's hash.
        await AuditLog.AppendAsync(c, tx, actor, training is null ? ScoringAuditActions.ClassifierRegistered : ScoringAuditActions.ClassifierTrained, null, new
        {
            manifest.Name, manifest.Version, manifest.Modality, sha256 = Convert.ToHexStringLower(hash), stored = storeBytes, training,
        });
        return true;
    }, ct);

    /// <summary>An admin activates a version (the Classifiers page); anyone else is refused here, not only by the page.</summary>
    public Task ActivateAsync(ClaimsPrincipal admin, string name, string version, CancellationToken ct = default) =>
        ActivateAsync(name, version, admin.ActorUnder(Policies.Admin), ct);

    /// <summary>
    /// Makes <paramref name="version"/> the active version of its classifier (the one routing and re-scoring use), out of
    /// shadow mode if it was in it, remembering the version it replaces for a roll-back; audited.
    /// </summary>
    public Task ActivateAsync(string name, string version, Actor actor, CancellationToken ct = default) => db.InTransactionAsync(async (c, tx) =>
    {
        await RequireAsync(c, tx, name, version);
        var previous = await c.ExecuteScalarAsync<string?>(
            "update classifier_versions set active = false where name = @name and active returning version", new { name }, tx);
        await c.ExecuteAsync(
            """
            update classifier_versions set active = true, shadow_since = null,
                   replaced_version = case when @previous = version then replaced_version else @previous end
            where name = @name and version = @version
            """, new { name, version, previous }, tx);
        await AuditLog.AppendAsync(c, tx, actor, ScoringAuditActions.ClassifierActivated, null, new { name, version, previous });
        return true;
    }, ct);

    /// <summary>
    /// Puts an inactive version in shadow mode (an admin's act): from now on it scores new items and its scores are
    /// shown beside the active ones, but routing reads none of them. Audited.
    /// </summary>
    public Task ShadowAsync(ClaimsPrincipal admin, string name, string version, CancellationToken ct = default)
    {
        var actor = admin.ActorUnder(Policies.Admin);
        return db.InTransactionAsync(async (c, tx) =>
        {
            await RequireAsync(c, tx, name, version);
            var changed = await c.ExecuteAsync(
                "update classifier_versions set shadow_since = now() where name = @name and version = @version and not active and shadow_since is null",
                new { name, version }, tx);
            if (changed == 0) throw new InvalidOperationException($"{name}@{version} is active or already in shadow mode");
            await AuditLog.AppendAsync(c, tx, actor, ScoringAuditActions.ClassifierShadowed, null, new { name, version });
            return true;
        }, ct);
    }

    /// <summary>
    /// One click back: the active version stops routing, and the version it replaced (if any) is active again. A version in
    /// shadow mode leaves shadow mode. Audited with what was restored.
    /// </summary>
    public Task<string?> RollBackAsync(ClaimsPrincipal admin, string name, string version, CancellationToken ct = default)
    {
        var actor = admin.ActorUnder(Policies.Admin);
        return db.InTransactionAsync(async (c, tx) =>
        {
            var row = await c.QuerySingleOrDefaultAsync<(bool Active, DateTimeOffset? ShadowSince, string? Replaced)?>(
                "select active, shadow_since, replaced_version from classifier_versions where name = @name and version = @version for update",
                new { name, version }, tx) ?? throw new InvalidOperationException($"no classifier version {name}@{version}");
            if (!row.Active && row.ShadowSince is null) throw new InvalidOperationException($"{name}@{version} is neither active nor in shadow mode");
            await c.ExecuteAsync("update classifier_versions set active = false, shadow_since = null where name = @name and version = @version",
                new { name, version }, tx);
            var restored = row.Active && row.Replaced is not null
                && await c.ExecuteAsync("update classifier_versions set active = true, shadow_since = null where name = @name and version = @Replaced",
                    new { name, row.Replaced }, tx) == 1
                ? row.Replaced
                : null;
            await AuditLog.AppendAsync(c, tx, actor, ScoringAuditActions.ClassifierRolledBack, null, new
            {
                name, version, wasActive = row.Active, shadowSince = row.ShadowSince, restored,
            });
            return restored;
        }, ct);
    }

    private static async Task RequireAsync(NpgsqlConnection c, NpgsqlTransaction tx, string name, string version)
    {
        if (!await c.ExecuteScalarAsync<bool>(
                "select exists (select 1 from classifier_versions where name = @name and version = @version)", new { name, version }, tx))
            throw new InvalidOperationException($"no classifier version {name}@{version}");
    }

    /// <summary>The next free integer version of a classifier the console trains itself.</summary>
    public static Task<int> NextVersionAsync(NpgsqlConnection connection, string name) => connection.ExecuteScalarAsync<int>(
        "select coalesce(max(version::int), 0) + 1 from classifier_versions where name = @name and version ~ '^[0-9]+$'", new { name });
}

/// <summary>The audit actions of scoring; auditors filter on these names.</summary>
public static class ScoringAuditActions
{
    public const string ClassifierRegistered = "classifier.registered";
    public const string ClassifierActivated = "classifier.activated";
    public const string ClassifierTrained = "classifier.trained";
    public const string ClassifierShadowed = "classifier.shadowed";
    public const string ClassifierRolledBack = "classifier.rolled_back";
    public const string BatchScored = "scoring.batch_scored";
}
