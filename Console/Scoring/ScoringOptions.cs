namespace ModerationConsole.Scoring;

/// <summary>Settings of the section <c>Scoring</c>.</summary>
public sealed class ScoringOptions
{
    public const string Section = "Scoring";

    /// <summary>Where dropped-in models live: each <c>*.json</c> manifest beside its <c>.onnx</c>. Relative to the repository root.</summary>
    public string ModelsDirectory { get; set; } = "models";

    /// <summary><c>auto</c> (CUDA when it loads, else CPU), <c>cpu</c>, or <c>cuda</c> (refuse to start without it).</summary>
    public string ExecutionProvider { get; set; } = "auto";

    public int CudaDeviceId { get; set; }

    /// <summary>Items per inference call: the tensor batch size.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>
    /// Pending items a re-scoring job scores and re-routes per step: each step commits, reports progress and is where a
    /// job stops when cancelled (or resumes after a crash).
    /// </summary>
    public int RescoreChunkSize { get; set; } = 256;

    /// <summary>
    /// How often active classifiers score the pending items they have not scored yet (new arrivals; the whole backlog
    /// after a start) on instances that work the <c>gpu</c> queue. Zero turns it off: items are then scored only by
    /// re-scoring jobs.
    /// </summary>
    public TimeSpan NewItemsInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The image model registered and activated the first time the models folder holds it (<c>model install-default</c>
    /// puts it there). Empty: none.
    /// </summary>
    public string DefaultImageModel { get; set; } = Import.DefaultImageModel.Name;

    /// <summary>
    /// The image model whose embeddings similar items and learned heads use (its active version), registered and
    /// activated the first time the models folder holds it. The default image model embeds in the same pass as it scores;
    /// <c>resnet18-imagenet</c> (<c>model install-resnet18</c>) sees small details better at a second model run per image.
    /// </summary>
    public string Backbone { get; set; } = Import.DefaultImageModel.Name;

    /// <summary>Threads decoding and resizing images while the previous batch is inferred; 0 means one per core.</summary>
    public int DecodeThreads { get; set; }

    /// <summary>
    /// Train the prompt model when the database has none yet, in the background at start. Off by default so that test
    /// consoles and CLI commands do not train; <c>run.sh</c> and production configuration turn it on.
    /// </summary>
    public bool TrainPromptModelIfMissing { get; set; }

    /// <summary>Moderators' human decisions needed before training also learns from them (below this they are too few to help).</summary>
    public int MinDecisionsForTraining { get; set; } = 200;
}
