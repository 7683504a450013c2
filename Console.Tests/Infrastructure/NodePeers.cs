using System.Diagnostics;
using System.Text.Json;
using ModerationConsole.Hosting;
using ModerationConsole.Imaging;

namespace ModerationConsole.Tests.Infrastructure;

/// <summary>
/// Reference implementations in Node.js, installed by <c>./test.sh</c> into <c>Console.Tests/Peers/node_modules</c>
/// (<c>npm ci</c> from its lock file): nsfwjs and TensorFlow.js on its pure-JavaScript CPU backend.
/// </summary>
public static class NodePeers
{
    public static string Folder => Path.Combine(ConsoleHost.RepositoryRoot()!, "Console.Tests", "Peers");

    /// <summary>A model folder inside the installed nsfwjs package, e.g. <c>mobilenet_v2</c>.</summary>
    public static string NsfwjsModel(string model)
    {
        var folder = Path.Combine(Folder, "node_modules", "nsfwjs", "dist", "models", model);
        return Directory.Exists(folder) ? folder
            : throw new InvalidOperationException($"{folder} is missing: run ./test.sh, or npm ci --ignore-scripts --prefix Console.Tests/Peers");
    }

    /// <summary>Runs a script of the Peers folder and returns its standard output's lines; fails with its errors.</summary>
    public static async Task<IReadOnlyList<string>> RunAsync(string script, params string[] args)
    {
        NsfwjsModel("mobilenet_v2"); // installed at all
        var start = new ProcessStartInfo("node") { WorkingDirectory = Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0) throw new InvalidOperationException($"node {script} failed ({process.ExitCode}): {await errors}");
        return (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>
    /// nsfwjs' probabilities per class for each picture, given as encoded images: the console decodes each, and nsfwjs
    /// gets the same pixels as raw RGB, so what is compared is the model and its preprocessing, not two decoders.
    /// </summary>
    public static async Task<IReadOnlyList<Dictionary<string, double>>> NsfwjsClassifyAsync(string model, IReadOnlyList<byte[]> images)
    {
        var folder = Directory.CreateTempSubdirectory("mc-nsfwjs-");
        try
        {
            var list = new List<object>();
            for (var i = 0; i < images.Count; i++)
            {
                using var bitmap = RgbaBitmap.Decode(images[i]) ?? throw new ArgumentException($"picture {i} does not decode");
                var rgba = bitmap.GetPixelSpan();
                var rgb = new byte[bitmap.Width * bitmap.Height * 3];
                for (var y = 0; y < bitmap.Height; y++)
                    for (var x = 0; x < bitmap.Width; x++)
                        for (var c = 0; c < 3; c++)
                            rgb[(y * bitmap.Width + x) * 3 + c] = rgba[y * bitmap.RowBytes + 4 * x + c];
                var file = Path.Combine(folder.FullName, $"{i}.rgb");
                await File.WriteAllBytesAsync(file, rgb);
                list.Add(new { file, width = bitmap.Width, height = bitmap.Height });
            }
            var listFile = Path.Combine(folder.FullName, "list.json");
            await File.WriteAllTextAsync(listFile, JsonSerializer.Serialize(list));
            var lines = await RunAsync("nsfwjs-classify.js", model, listFile);
            return lines.Select(line => JsonDocument.Parse(line).RootElement.GetProperty("classes").EnumerateObject()
                .ToDictionary(p => p.Name, p => p.Value.GetDouble())).ToList();
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
