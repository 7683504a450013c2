using ModerationConsole.Scoring.Manifest;

namespace ModerationConsole.Scoring.Import;

/// <summary>The manifest of a converted TF.js model, and writing a model beside its manifest in the models folder.</summary>
public static class TfjsImport
{
    /// <summary>
    /// TF.js image models take pixels / 255 in NHWC and resize with <c>alignCorners</c> (as nsfwjs does); the graph ends in
    /// its own activation, so the manifest adds none.
    /// </summary>
    public static ClassifierManifest Manifest(ConvertedModel model, string name, string version, IReadOnlyList<ManifestLabel> labels,
        string combine, string? description, string? license, string? origin)
    {
        if (labels.Count != model.Classes)
            throw new ArgumentException($"the model has {model.Classes} outputs; {labels.Count} labels were given");
        if (model.Channels != 3) throw new NotSupportedException($"the model reads {model.Channels} channels; RGB (3) only");
        return new ClassifierManifest
        {
            Name = name,
            Version = version,
            Modality = "image",
            File = $"{name}.onnx",
            Output = model.Output,
            Activation = "none",
            Labels = labels,
            Combine = combine,
            Embedding = model.Embedding,
            Image = new ImageInput
            {
                Input = model.Input,
                Width = model.Width,
                Height = model.Height,
                Layout = "NHWC",
                Resize = "stretch",
                Sampler = "bilinear-align-corners",
            },
            Description = description,
            License = license,
            Origin = origin,
        };
    }

    /// <summary>True when the models folder holds NAME.onnx and a NAME.json of this version.</summary>
    public static bool IsInstalled(string modelsDirectory, string name, string version)
    {
        var manifest = Path.Combine(modelsDirectory, $"{name}.json");
        if (!File.Exists(manifest) || !File.Exists(Path.Combine(modelsDirectory, $"{name}.onnx"))) return false;
        try { return ClassifierManifest.Parse(File.ReadAllText(manifest)).Version == version; }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidDataException) { return false; }
    }

    /// <summary>Writes NAME.onnx and NAME.json, each to a temporary name first, so a console never reads half a file.</summary>
    public static void Write(string modelsDirectory, string name, byte[] onnx, ClassifierManifest manifest)
    {
        var problems = manifest.Validate(policyCategories: null);
        if (problems.Count > 0) throw new InvalidDataException($"the manifest would be refused: {string.Join("; ", problems)}");
        Directory.CreateDirectory(modelsDirectory);
        WriteAtomically(Path.Combine(modelsDirectory, $"{name}.onnx"), onnx);
        WriteAtomically(Path.Combine(modelsDirectory, $"{name}.json"), System.Text.Encoding.UTF8.GetBytes(manifest.ToJson()));
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        var temporary = path + ".partial";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
    }
}
