using System.Diagnostics;
using System.Text.Json;
using ModerationConsole.Hosting;
using ModerationConsole.Imaging;

namespace ModerationConsole.Bench;

/// <summary>nsfwjs' answers for some pictures, and how fast it gave them.</summary>
public sealed record NsfwjsResults(IReadOnlyList<Dictionary<string, double>> Classes, double ImagesPerSecond);

/// <summary>
/// nsfwjs itself, on TensorFlow.js' pure-JavaScript CPU backend, run with Node.js from <c>scripts/nsfwjs</c> (installed
/// by <c>npm ci --ignore-scripts --prefix scripts/nsfwjs</c>, as <c>./test.sh</c> does): the reference the console's
/// image model is compared with, for its answers (the tests) and its speed (<c>bench score</c>). Pictures are decoded
/// by the console and handed over as raw RGB, so both sides see the same pixels.
/// </summary>
public static class NsfwjsReference
{
    public static string Folder => Path.Combine(ConsoleHost.RepositoryRoot() ?? ".", "scripts", "nsfwjs");

    public static bool IsInstalled => Directory.Exists(Path.Combine(Folder, "node_modules", "nsfwjs"));

    /// <summary>A model folder inside the installed nsfwjs package, e.g. <c>mobilenet_v2</c>.</summary>
    public static string ModelFolder(string model) => IsInstalled
        ? Path.Combine(Folder, "node_modules", "nsfwjs", "dist", "models", model)
        : throw new InvalidOperationException($"nsfwjs is not installed in {Folder}: run npm ci --ignore-scripts --prefix scripts/nsfwjs (./test.sh does)");

    /// <summary>Runs a script of the folder with Node.js; its standard output's lines.</summary>
    public static async Task<IReadOnlyList<string>> RunAsync(string script, params string[] args)
    {
        ModelFolder("mobilenet_v2");
        var start = new ProcessStartInfo("node") { WorkingDirectory = Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0) throw new InvalidOperationException($"node {script} failed ({process.ExitCode}): {await errors}");
        return (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>nsfwjs' probabilities per class for each encoded picture (<c>MobileNetV2</c> or <c>InceptionV3</c>).</summary>
    public static async Task<NsfwjsResults> ClassifyAsync(string model, IReadOnlyList<byte[]> images)
    {
        var folder = Directory.CreateTempSubdirectory("mc-nsfwjs-");
        try
        {
            var list = new List<object>();
            for (var i = 0; i < images.Count; i++)
            {
                using var bitmap = RgbaBitmap.Decode(images[i]) ?? throw new ArgumentException($"picture {i} does not decode");
                var file = Path.Combine(folder.FullName, $"{i}.rgb");
                await File.WriteAllBytesAsync(file, Rgb(bitmap.GetPixelSpan(), bitmap.Width, bitmap.Height, bitmap.RowBytes));
                list.Add(new { file, width = bitmap.Width, height = bitmap.Height });
            }
            var listFile = Path.Combine(folder.FullName, "list.json");
            await File.WriteAllTextAsync(listFile, JsonSerializer.Serialize(list));
            var results = (await RunAsync("nsfwjs-classify.js", model, listFile)).Select(line => JsonDocument.Parse(line).RootElement).ToList();
            var timing = results.Single(r => r.TryGetProperty("timing", out _)).GetProperty("timing");
            var classes = results.Where(r => r.TryGetProperty("classes", out _))
                .Select(r => r.GetProperty("classes").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble()))
                .ToList();
            return new NsfwjsResults(classes, timing.GetProperty("images").GetDouble() / timing.GetProperty("seconds").GetDouble());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static byte[] Rgb(ReadOnlySpan<byte> rgba, int width, int height, int rowBytes)
    {
        var rgb = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                for (var c = 0; c < 3; c++)
                    rgb[(y * width + x) * 3 + c] = rgba[y * rowBytes + 4 * x + c];
        return rgb;
    }
}
