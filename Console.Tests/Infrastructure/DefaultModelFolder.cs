using ModerationConsole.Scoring.Import;

namespace ModerationConsole.Tests.Infrastructure;

/// <summary>
/// A models folder holding the default image model (scores and the 1280-d embedding), converted once per test run from
/// the nsfwjs package <c>./test.sh</c> installs: what <c>model install-default</c> leaves on a real machine.
/// </summary>
public static class DefaultModelFolder
{
    private static readonly Lazy<string> Folder = new(() =>
    {
        var folder = Directory.CreateTempSubdirectory("mc-default-model-").FullName;
        var (onnx, manifest) = DefaultImageModel.Convert(TfjsModelFiles.Read(NodePeers.NsfwjsModel("mobilenet_v2")), "test");
        TfjsImport.Write(folder, DefaultImageModel.Name, onnx, manifest);
        return folder;
    });

    public static string Path => Folder.Value;

    /// <summary>The settings of a console that scores new items with it on the CPU every half second.</summary>
    public static string[] ConsoleSettings =>
        [$"--Scoring:ModelsDirectory={Path}", "--Scoring:NewItemsInterval=00:00:00.5", "--Scoring:ExecutionProvider=cpu"];

    public static string Source => $"{DefaultImageModel.Name}@{DefaultImageModel.ModelVersion}";
}
