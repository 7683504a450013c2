using ModerationConsole.Scoring.Runtime;
using ModerationConsole.Scoring.Import;
using ModerationConsole.Scoring.Manifest;

namespace ModerationConsole.Cli;

/// <summary>
/// <c>model install-default</c>, <c>model install-resnet18</c> and <c>model import-tfjs</c>: put models into the models folder
/// (<c>Scoring:ModelsDirectory</c>), where the console registers them at its next start. Neither needs the database.
/// </summary>
public static class ModelCommand
{
    public static async Task<int> RunAsync(CliArguments arguments)
    {
        var verb = arguments.TakeWord();
        switch (verb)
        {
            case "install-default":
            {
                var folder = ModelsDirectory(arguments);
                System.Console.WriteLine(await DefaultImageModel.InstallAsync(folder, System.Console.Error, CancellationToken.None));
                return 0;
            }
            case "install-resnet18":
            {
                var nupkg = arguments.TakeOption("--from");
                var folder = ModelsDirectory(arguments);
                System.Console.WriteLine(await ResNet18Backbone.InstallAsync(folder, nupkg, System.Console.Error, CancellationToken.None));
                return 0;
            }
            case "import-tfjs":
            {
                var path = arguments.TakeWord() ?? throw new UsageException("model import-tfjs needs a PATH (a folder or an npm .tgz)");
                var name = arguments.TakeOption("--name") ?? throw new UsageException("model import-tfjs needs --name NAME");
                var version = arguments.TakeOption("--version") ?? "1";
                var inside = arguments.TakeOption("--folder");
                var labels = arguments.TakeOption("--labels");
                var categories = arguments.TakeOption("--categories");
                var combine = arguments.TakeChoice("--combine", "max", "sum") ?? "sum";
                var folder = ModelsDirectory(arguments);

                var converted = TfjsToOnnx.Convert(TfjsModelFiles.Read(path, inside), name);
                var manifest = TfjsImport.Manifest(converted, name, version, Labels(converted.Classes, labels, categories), combine,
                    description: null, license: null, origin: Path.GetFileName(path) + (inside is null ? "" : $", {inside}"));
                TfjsImport.Write(folder, name, converted.Onnx, manifest);
                System.Console.WriteLine($"Wrote {name}.onnx and {name}.json ({converted.Width}×{converted.Height}, {converted.Classes} classes) into {folder}; "
                    + "the console registers the model at its next start.");
                return 0;
            }
            default:
                throw new UsageException("expected 'model install-default', 'model install-resnet18 [--from NUPKG]' or 'model import-tfjs PATH --name NAME'");
        }
    }

    /// <summary>
    /// <c>--labels a,b,c</c> names the outputs in order (else class0, class1, …); <c>--categories label=category,…</c>
    /// maps them to policy categories.
    /// </summary>
    private static IReadOnlyList<ManifestLabel> Labels(int classes, string? labels, string? categories)
    {
        var names = labels?.Split(',', StringSplitOptions.TrimEntries) ?? Enumerable.Range(0, classes).Select(i => $"class{i}").ToArray();
        if (names.Length != classes) throw new UsageException($"--labels names {names.Length} classes; the model has {classes}");
        var mapping = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in categories?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [])
        {
            var parts = pair.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || !names.Contains(parts[0])) throw new UsageException($"--categories: '{pair}' is not LABEL=CATEGORY with one of the labels");
            mapping[parts[0]] = parts[1];
        }
        if (mapping.Count == 0) throw new UsageException("--categories: map at least one label to a policy category, e.g. --categories porn=sexual");
        return names.Select(n => new ManifestLabel(n, mapping.GetValueOrDefault(n))).ToList();
    }

    private static string ModelsDirectory(CliArguments arguments) => ModelFolder.Resolve(arguments.Remaining);
}
