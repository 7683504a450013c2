using Microsoft.Extensions.Options;
using ModerationConsole.Audit;
using ModerationConsole.Policy;
using ModerationConsole.Scoring.Runtime;
using ModerationConsole.Scoring.Training;

namespace ModerationConsole.Scoring;

/// <summary>
/// At start: decides the execution provider (logged), registers the models found in the models folder (a bad manifest
/// is logged and skipped, never fatal), and, when <see cref="ScoringOptions.TrainPromptModelIfMissing"/> is on and the
/// database has no prompt model yet, trains one in the background so the console has a classifier with no download.
/// </summary>
public sealed class ScoringStartup(ClassifierHost host, ModelFolder folder, ClassifierStore store, PolicyStore policies,
    PromptModelService prompts, IOptions<ScoringOptions> options, ILogger<ScoringStartup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _ = host.Provider; // decided and logged now, not on the first batch
        try
        {
            await RegisterFolderModelsAsync(stoppingToken);
            if (options.Value.TrainPromptModelIfMissing && !await prompts.AnyVersionAsync(stoppingToken))
            {
                var trained = await prompts.TrainAsync(Actor.Console, userId: null, activate: true, stoppingToken);
                logger.LogInformation("No prompt model yet: trained and activated {Name}@{Version}", trained.Name, trained.Version);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Scoring is not on the ingest path: the console keeps serving, and admins see no active model.
            logger.LogError(ex, "Scoring start-up failed");
        }
    }

    private async Task RegisterFolderModelsAsync(CancellationToken ct)
    {
        var categories = (await policies.LoadActiveAsync(ct)).Document.Categories.Select(c => c.Name).ToList();
        var (models, problems) = folder.Scan(categories);
        foreach (var problem in problems) logger.LogWarning("Models folder {Directory}: {Problem}", folder.Directory, problem);
        foreach (var model in models)
        {
            try
            {
                if (!await store.RegisterAsync(model.Manifest, await File.ReadAllBytesAsync(model.OnnxPath, ct), storeBytes: false, metrics: null, Actor.Console, null, ct))
                    continue;
                logger.LogInformation("Registered classifier {Source} from {Path}", model.Manifest.Source, model.ManifestPath);
                // The default image model and the chosen backbone work from their first registration on; an admin may retire
                // either like any other version.
                if (model.Manifest.Name == options.Value.DefaultImageModel || model.Manifest.Name == options.Value.Backbone)
                {
                    await store.ActivateAsync(model.Manifest.Name, model.Manifest.Version, Actor.Console, ct);
                    logger.LogInformation("Activated {Source}", model.Manifest.Source);
                }
            }
            catch (InvalidOperationException ex)
            {
                logger.LogWarning("Models folder: {Problem}", ex.Message);
            }
        }
    }
}
