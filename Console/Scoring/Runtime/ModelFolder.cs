using Microsoft.Extensions.Options;
using ModerationConsole.Scoring.Manifest;

namespace ModerationConsole.Scoring.Runtime;

/// <summary>A dropped-in model: its manifest and the .onnx file beside it.</summary>
public sealed record DroppedModel(ClassifierManifest Manifest, string ManifestPath, string OnnxPath);

/// <summary>
/// The models folder (<c>Scoring:ModelsDirectory</c>): every <c>*.json</c> in it is a manifest naming its .onnx file.
/// Read when asked, so a model dropped in while the console runs is found without a restart.
/// </summary>
public sealed class ModelFolder(IOptions<ScoringOptions> options, IHostEnvironment environment)
{
    public string Directory { get; } = Path.GetFullPath(options.Value.ModelsDirectory, environment.ContentRootPath);

    /// <summary>The usable models, and for each manifest that is not usable, why.</summary>
    /// <param name="policyCategories">null: do not check labels against the policy (when serving an already registered version).</param>
    public (IReadOnlyList<DroppedModel> Models, IReadOnlyList<string> Problems) Scan(IReadOnlyCollection<string>? policyCategories)
    {
        var models = new List<DroppedModel>();
        var problems = new List<string>();
        if (!System.IO.Directory.Exists(Directory)) return (models, problems);
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*.json").Order(StringComparer.Ordinal))
        {
            try
            {
                var manifest = ClassifierManifest.Parse(File.ReadAllText(path));
                var invalid = manifest.Validate(policyCategories);
                var onnx = Path.GetFullPath(manifest.File ?? Path.ChangeExtension(path, ".onnx"), Path.GetDirectoryName(path)!);
                if (invalid.Count > 0) problems.Add($"{Path.GetFileName(path)}: {string.Join("; ", invalid)}");
                else if (!File.Exists(onnx)) problems.Add($"{Path.GetFileName(path)}: no model file {onnx}");
                else models.Add(new DroppedModel(manifest, path, onnx));
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidDataException or IOException)
            {
                problems.Add($"{Path.GetFileName(path)}: {ex.Message}");
            }
        }
        return (models, problems);
    }

    /// <summary>The models folder as a command sees it: <c>Scoring:ModelsDirectory</c> from the configuration and these arguments.</summary>
    public static string Resolve(string[] args)
    {
        var builder = Hosting.ConsoleHost.CreateBuilder(args);
        var options = builder.Configuration.GetSection(ScoringOptions.Section).Get<ScoringOptions>() ?? new ScoringOptions();
        return Path.GetFullPath(options.ModelsDirectory, builder.Environment.ContentRootPath);
    }

    public DroppedModel? Find(string name, string version) =>
        Scan(null).Models
            .FirstOrDefault(m => m.Manifest.Name == name && m.Manifest.Version == version);
}
