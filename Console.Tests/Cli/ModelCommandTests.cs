using System.Text.Json;
using ModerationConsole.Scoring.Import;
using ModerationConsole.Scoring.Manifest;
using ModerationConsole.Simulate;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Cli;

/// <summary><c>model install-default</c>, <c>model import-tfjs</c> and <c>score</c>, run as an operator runs them.</summary>
[Trait(TestKind.Trait, TestKind.Peer)]
public sealed class ModelCommandTests : IDisposable
{
    private readonly DirectoryInfo models = Directory.CreateTempSubdirectory("mc-models-");
    private readonly DirectoryInfo pictures = Directory.CreateTempSubdirectory("mc-pictures-");
    private static readonly Dictionary<string, string> NoDatabase = [];

    public void Dispose()
    {
        models.Delete(recursive: true);
        pictures.Delete(recursive: true);
    }

    [Fact]
    public async Task Import_then_score_prints_one_json_line_per_file_in_order_with_errors_for_bad_ones()
    {
        var imported = await ConsoleProcess.RunAsync(NoDatabase, null, "model", "import-tfjs", NodePeers.NsfwjsModel("mobilenet_v2"),
            "--name", "nsfw-test", "--version", "7", "--labels", "Drawing,Hentai,Neutral,Porn,Sexy", "--categories", "Porn=sexual,Hentai=sexual",
            $"--Scoring:ModelsDirectory={models.FullName}");
        Assert.True(imported.ExitCode == 0, imported.Errors);
        var manifest = ClassifierManifest.Parse(await File.ReadAllTextAsync(Path.Combine(models.FullName, "nsfw-test.json")));
        Assert.Equal(("nsfw-test", "7", "bilinear-align-corners", "sum"), (manifest.Name, manifest.Version, manifest.Image!.Sampler, manifest.Combine));

        var photo = Write("photo.png", SyntheticImages.NoisyPng(300, 200, 1));
        var broken = Write("broken.png", SyntheticImages.NoisyPng(300, 200, 2)[..500]);
        var missing = Path.Combine(pictures.FullName, "missing.jpg");
        var drawing = Write("drawing.png", SyntheticImages.Png(224, 224, 3));

        var scored = await ConsoleProcess.RunAsync(NoDatabase, null, "score", "--model", "nsfw-test", photo, broken, missing, drawing,
            $"--Scoring:ModelsDirectory={models.FullName}");

        Assert.Equal(1, scored.ExitCode);
        var lines = scored.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([photo, broken, missing, drawing], lines.Select(l => l.GetProperty("file").GetString()));
        Assert.Contains("does not decode", lines[1].GetProperty("error").GetString());
        Assert.Contains("missing.jpg", lines[2].GetProperty("error").GetString());
        foreach (var line in new[] { lines[0], lines[3] })
        {
            var classes = line.GetProperty("classes").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
            Assert.Equal(["Drawing", "Hentai", "Neutral", "Porn", "Sexy"], classes.Keys);
            Assert.Equal(1, classes.Values.Sum(), 3);
            Assert.Equal(classes["Porn"] + classes["Hentai"], line.GetProperty("categories").GetProperty("sexual").GetDouble(), 6);
        }
    }

    [Fact]
    public async Task Install_default_fetches_checks_and_converts_once_then_does_nothing()
    {
        var first = await ConsoleProcess.RunAsync(NoDatabase, TimeSpan.FromMinutes(4), null, "model", "install-default", $"--Scoring:ModelsDirectory={models.FullName}");
        var second = await ConsoleProcess.RunAsync(NoDatabase, null, "model", "install-default", $"--Scoring:ModelsDirectory={models.FullName}");

        Assert.True(first.ExitCode == 0, first.Errors);
        Assert.Contains($"Installed {DefaultImageModel.Name}@{DefaultImageModel.ModelVersion}", first.Output);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("already installed", second.Output);
        var manifest = ClassifierManifest.Parse(await File.ReadAllTextAsync(DefaultImageModel.ManifestPath(models.FullName)));
        Assert.Equal("MIT", manifest.License);
        Assert.Contains(DefaultImageModel.Integrity, manifest.Origin);
        Assert.Equal(["sexual", "sexual", "suggestive"], manifest.Labels.Where(l => l.Category is not null).Select(l => l.Category));
    }

    [Fact]
    public async Task Install_resnet18_refuses_a_package_that_is_not_the_pinned_one_and_writes_nothing()
    {
        var fake = Path.Combine(models.FullName, "fake.nupkg");
        using (var zip = System.IO.Compression.ZipFile.Open(fake, System.IO.Compression.ZipArchiveMode.Create))
            zip.CreateEntry(ModerationConsole.Scoring.Import.ResNet18Backbone.FileInPackage);

        var result = await ConsoleProcess.RunAsync(NoDatabase, null, "model", "install-resnet18", "--from", fake, $"--Scoring:ModelsDirectory={models.FullName}");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("does not match the pinned SHA-512", result.Errors);
        Assert.Equal(["fake.nupkg"], Directory.GetFiles(models.FullName).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Importing_a_model_with_a_layer_the_converter_lacks_fails_naming_it_and_writes_nothing()
    {
        var folder = pictures.CreateSubdirectory("model");
        new Scoring.Import.KerasModelBuilder(1).Input("in", 8, 8, 3)
            .Layer("upsample", "UpSampling2D", Scoring.Import.KerasModelBuilder.Config(), ["in"])
            .Layer("flat", "Flatten", Scoring.Import.KerasModelBuilder.Config(), ["upsample"])
            .WriteTo(folder.FullName, "flat");

        var result = await ConsoleProcess.RunAsync(NoDatabase, null, "model", "import-tfjs", folder.FullName, "--name", "x",
            "--categories", "class0=sexual", $"--Scoring:ModelsDirectory={models.FullName}");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("layer 'upsample': UpSampling2D is not supported", result.Errors);
        Assert.Empty(models.GetFiles());
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(pictures.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
