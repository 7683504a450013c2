using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;
using ModerationConsole.Scoring.Manifest;

namespace ModerationConsole.Scoring.Runtime;

/// <summary>
/// Serves every classifier version through ONNX Runtime: one <see cref="InferenceSession"/> per version, created on
/// first use and reused for the life of the process (creating one optimises the graph and, on CUDA, uploads weights:
/// far too slow per batch). Models come from the models folder or, for self-trained ones, from the database.
/// </summary>
public sealed class ClassifierHost : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<LoadedClassifier>>> loaded = new();
    private readonly ScoringOptions options;
    private readonly ModelFolder folder;
    private readonly ClassifierStore store;
    private readonly ILogger<ClassifierHost> logger;

    public ClassifierHost(IOptions<ScoringOptions> options, ModelFolder folder, ClassifierStore store, ILogger<ClassifierHost> logger)
    {
        this.options = options.Value;
        this.folder = folder;
        this.store = store;
        this.logger = logger;
        Provider = ExecutionProvider.Select(this.options, logger);
    }

    /// <summary>CUDA or CPU, decided once at start (shown on the admin page).</summary>
    public ExecutionProvider Provider { get; }

    /// <summary>The sessions open now.</summary>
    public IReadOnlyList<LoadedClassifier> Loaded =>
        loaded.Values.Where(l => l.IsValueCreated && l.Value.IsCompletedSuccessfully).Select(l => l.Value.Result).ToList();

    public Task<LoadedClassifier> GetAsync(string name, string version, CancellationToken ct = default)
    {
        var key = $"{name}@{version}";
        var entry = loaded.GetOrAdd(key, _ => new Lazy<Task<LoadedClassifier>>(() => LoadAsync(name, version, CancellationToken.None)));
        // A failed load is not cached: the next call tries again (the file may have been fixed).
        if (entry.Value.IsFaulted || entry.Value.IsCanceled) loaded.TryRemove(new KeyValuePair<string, Lazy<Task<LoadedClassifier>>>(key, entry));
        return entry.Value;
    }

    private async Task<LoadedClassifier> LoadAsync(string name, string version, CancellationToken ct)
    {
        if (folder.Find(name, version) is { } dropped)
            return Open(dropped.Manifest, () => new InferenceSession(dropped.OnnxPath, SessionOptions()));
        var stored = await store.FindAsync(name, version, ct)
            ?? throw new InvalidOperationException($"no classifier {name}@{version} in {folder.Directory} or in the database");
        var bytes = stored.Onnx ?? throw new InvalidOperationException($"{name}@{version} is registered from a models folder, but not in this instance's {folder.Directory}");
        return Open(stored.Manifest, () => new InferenceSession(bytes, SessionOptions()));
    }

    /// <summary>A session for a model that is not registered anywhere (benchmarks, tests): owned by the caller.</summary>
    public LoadedClassifier OpenUnregistered(ClassifierManifest manifest, byte[] onnx) =>
        Open(manifest, () => new InferenceSession(onnx, SessionOptions()));

    private LoadedClassifier Open(ClassifierManifest manifest, Func<InferenceSession> create)
    {
        var session = create();
        Check(manifest, session);
        logger.LogInformation("Loaded classifier {Source} ({Modality}) on {Provider}", manifest.Source, manifest.Modality, Provider.Name);
        return new LoadedClassifier(manifest, session, Provider.Name);
    }

    private SessionOptions SessionOptions() => Provider.CreateSessionOptions(options);

    /// <summary>The manifest must name inputs and an output the graph has: say so at load, not at the first batch.</summary>
    private static void Check(ClassifierManifest manifest, InferenceSession session)
    {
        var expected = manifest.Modality switch
        {
            "image" => [manifest.Image!.Input],
            "head" => [manifest.Head!.Input],
            _ => new[] { manifest.Text!.IdsInput, manifest.Text.MaskInput },
        };
        foreach (var input in expected.Where(i => !session.InputMetadata.ContainsKey(i)))
        {
            session.Dispose();
            throw new InvalidOperationException($"{manifest.Source}: the model has no input '{input}' (it has {string.Join(", ", session.InputMetadata.Keys)})");
        }
        foreach (var output in new[] { manifest.Output, manifest.Embedding?.Output }.OfType<string>().Where(o => !session.OutputMetadata.ContainsKey(o)))
        {
            session.Dispose();
            throw new InvalidOperationException($"{manifest.Source}: the model has no output '{output}' (it has {string.Join(", ", session.OutputMetadata.Keys)})");
        }
    }

    public void Dispose()
    {
        foreach (var entry in loaded.Values.Where(l => l.IsValueCreated && l.Value.IsCompletedSuccessfully))
            entry.Value.Result.Dispose();
    }
}
