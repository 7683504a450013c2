using System.Diagnostics;
using System.Security.Claims;
using Dapper;
using Microsoft.Extensions.Options;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Policy;

namespace ModerationConsole.Scoring.Training;

/// <summary>What one training run produced.</summary>
public sealed record TrainedPromptModel(string Name, string Version, int TrainingExamples, int DecisionExamples, IReadOnlyList<CategoryMetrics> Metrics, TimeSpan Took);

/// <summary>
/// Trains a new version of the console's own prompt classifier on the shipped synthetic set plus, once there are
/// <see cref="ScoringOptions.MinDecisionsForTraining"/> of them, the moderators' own decisions. With decisions, it is
/// tested on the latest of them, from users it was not trained on (<see cref="HeldOutSplit"/>); without, on the shipped
/// held-out prompts, which the page marks as saying little about the platform. Stores the ONNX graph and the metrics in
/// <c>classifier_versions</c>, audited.
/// </summary>
public sealed class PromptModelService(Db db, ClassifierStore store, PolicyStore policies, IOptions<ScoringOptions> options, ILogger<PromptModelService> logger)
{
    public const string ModelName = "prompt-fasttext";

    /// <summary>An admin trains a new, inactive version (the Classifiers page); anyone else is refused before any work.</summary>
    public Task<TrainedPromptModel> TrainAsync(ClaimsPrincipal admin, CancellationToken ct = default)
    {
        var userId = admin.UserIdUnder(Policies.Admin);
        return TrainAsync(Actor.User(userId), userId, activate: false, ct);
    }

    public async Task<TrainedPromptModel> TrainAsync(Actor actor, long? userId, bool activate, CancellationToken ct = default)
    {
        var watch = Stopwatch.StartNew();
        var shipped = ShippedPrompts.Load();
        var decided = await DecidedPromptsAsync(ct);
        var useDecisions = decided.Count >= options.Value.MinDecisionsForTraining;
        var (decisions, decisionsHeldOut) = useDecisions ? HeldOutSplit.ByUserAndTime(decided) : ([], []);
        var training = shipped.Where(e => !e.HeldOut).Concat(decisions).ToList();
        var categories = PromptTrainer.LearnableCategories((await policies.LoadActiveAsync(ct)).Document.Categories.Select(c => c.Name), training);
        var (heldOut, source) = useDecisions
            ? (decisionsHeldOut, CategoryMetrics.OnDecisions)
            : (shipped.Where(e => e.HeldOut).ToList(), CategoryMetrics.OnShippedPrompts);

        // CPU-bound for a few seconds: off the caller's thread (a Blazor circuit, a request).
        var model = await Task.Run(() => PromptTrainer.Train(training, categories, new TrainingSettings()), ct);
        var metrics = PromptTrainer.Evaluate(heldOut, categories, model.Predict, source);
        var onnx = model.ToOnnx();

        var version = await db.ReadAsync(c => ClassifierStore.NextVersionAsync(c, ModelName), ct);
        var manifest = model.Manifest(ModelName, version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            $"fastText-style prompt classifier trained by the console on {training.Count} prompts ({decisions.Count} from moderators' decisions)");
        await store.RegisterAsync(manifest, onnx, storeBytes: true, metrics, actor, userId, ct, training: new
        {
            shippedExamples = training.Count - decisions.Count,
            decisionExamples = decisions.Count,
            heldOutExamples = heldOut.Count,
            heldOut = source,
        });
        if (activate) await store.ActivateAsync(ModelName, manifest.Version, actor, ct);
        logger.LogInformation("Trained {Source} on {Count} prompts in {Elapsed}", manifest.Source, training.Count, watch.Elapsed);
        return new TrainedPromptModel(ModelName, manifest.Version, training.Count, decisions.Count, metrics, watch.Elapsed);
    }

    /// <summary>
    /// The latest human decision per item, as labels: a block names its categories, an approval means none applies;
    /// with the item's user and when it was decided, for the held-out split. Automated decisions are left out: learning
    /// from them would teach the model its own (or upstream's) mistakes.
    /// </summary>
    public Task<IReadOnlyList<DecidedPrompt>> DecidedPromptsAsync(CancellationToken ct = default) => db.ReadAsync<IReadOnlyList<DecidedPrompt>>(async c =>
        (await c.QueryAsync<(string Prompt, string Decision, string[] Categories, long ProducerId, string UserId, DateTimeOffset DecidedAt)>(
            """
            select distinct on (d.item_id) r.prompt, d.decision, d.categories, r.producer_id, r.user_id, d.decided_at
            from decisions d join review_items r on r.id = d.item_id
            where not d.automated
            order by d.item_id, d.id desc
            """))
        .Select(row => new DecidedPrompt(
            new PromptExample(row.Prompt, row.Decision == "blocked" ? row.Categories.ToHashSet() : new HashSet<string>(), HeldOut: false),
            $"{row.ProducerId}/{row.UserId}", row.DecidedAt))
        .ToList(), ct);

    /// <summary>The prompt model's versions, newest first (for start-up: is there one yet?).</summary>
    public Task<bool> AnyVersionAsync(CancellationToken ct = default) => db.ReadAsync(c =>
        c.ExecuteScalarAsync<bool>("select exists (select 1 from classifier_versions where name = @ModelName)", new { ModelName }), ct);
}
