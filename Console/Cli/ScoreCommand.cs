using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using ModerationConsole.Hosting;
using ModerationConsole.Scoring;
using ModerationConsole.Scoring.Import;
using ModerationConsole.Scoring.Runtime;

namespace ModerationConsole.Cli;

/// <summary>
/// <c>score [--model NAME] FILE...</c>: an image classifier from the models folder (the default image model unless
/// named) run on files, without a database, one JSON line per file in the order given:
/// <c>{"file", "classes": {label: p}, "categories": {category: p}}</c>, or <c>{"file", "error"}</c> for a file that
/// cannot be read or decoded (the others are still scored; the exit code is then 1).
/// </summary>
public static class ScoreCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>One file's line: its scores, or why it has none.</summary>
    private sealed record ScoreLine(string File, Dictionary<string, double>? Classes = null, Dictionary<string, double>? Categories = null, string? Error = null);

    public static async Task<int> RunAsync(CliArguments arguments, TextWriter output)
    {
        var name = arguments.TakeOption("--model") ?? DefaultImageModel.Name;
        var files = new List<string>();
        while (arguments.TakeWord() is { } file) files.Add(file);
        if (files.Count == 0) throw new UsageException("score needs at least one FILE");

        var builder = ConsoleHost.CreateBuilder(arguments.Remaining);
        var options = builder.Configuration.GetSection(ScoringOptions.Section).Get<ScoringOptions>() ?? new ScoringOptions();
        var folder = new ModelFolder(Options.Create(options), builder.Environment);
        var model = folder.Scan(null).Models.Where(m => m.Manifest.Name == name && m.Manifest.Modality == "image")
            .OrderByDescending(m => m.Manifest.Version, StringComparer.Ordinal).FirstOrDefault()
            ?? throw new InvalidOperationException(name == DefaultImageModel.Name
                ? $"the default image model is not in {folder.Directory}: run 'model install-default' first"
                : $"no image model named '{name}' in {folder.Directory}");

        var provider = ExecutionProvider.Select(options, NullLogger.Instance);
        using var sessionOptions = provider.CreateSessionOptions(options);
        using var classifier = new LoadedClassifier(model.Manifest, new InferenceSession(model.OnnxPath, sessionOptions), provider.Name);

        var images = new byte[]?[files.Count];
        var errors = new string?[files.Count];
        for (var i = 0; i < files.Count; i++)
        {
            try { images[i] = await File.ReadAllBytesAsync(files[i]); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { errors[i] = ex.Message; }
        }
        var readable = Enumerable.Range(0, files.Count).Where(i => images[i] is not null).ToList();
        var scores = await ImageBatchRunner.RunAsync(classifier, readable.Select(i => images[i]!).ToList(),
            Math.Max(1, options.BatchSize), options.DecodeThreads, CancellationToken.None);

        var lines = new ScoreLine[files.Count];
        for (var k = 0; k < readable.Count; k++)
            lines[readable[k]] = scores[k] is { } values
                ? new ScoreLine(files[readable[k]],
                    model.Manifest.Labels.Select((label, j) => (label.Name, Value: (double)values[j])).ToDictionary(p => p.Name, p => p.Value),
                    ScoringService.CategoryScores(model.Manifest, values).ToDictionary(p => p.Category, p => p.Score))
                : new ScoreLine(files[readable[k]], Error: "does not decode: not a PNG, JPEG or WebP, or truncated");
        for (var i = 0; i < files.Count; i++)
        {
            if (errors[i] is { } error) lines[i] = new ScoreLine(files[i], Error: error);
            await output.WriteLineAsync(JsonSerializer.Serialize(lines[i], Json));
        }
        var failed = lines.Count(l => l.Error is not null);
        return failed == 0 ? 0 : 1;
    }
}
