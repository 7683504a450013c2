using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModerationConsole.Scoring.Manifest;

/// <summary>
/// What the console needs to know about an ONNX model to score with it: who it is, what it reads, how its input is
/// prepared, and what its outputs mean in policy categories. Stored as JSON beside the .onnx file (and in
/// <c>classifier_versions.manifest</c>).
/// </summary>
public sealed record ClassifierManifest
{
    public required string Name { get; init; }
    public required string Version { get; init; }
    /// <summary><c>image</c>, <c>text</c>, or <c>head</c> (a classifier over an image model's stored embeddings).</summary>
    public required string Modality { get; init; }
    /// <summary>The .onnx file, relative to the manifest; absent for models stored in the database.</summary>
    public string? File { get; init; }
    public required string Output { get; init; }
    /// <summary>What turns the output into scores in [0, 1]: <c>softmax</c>, <c>sigmoid</c>, or <c>none</c> (already probabilities).</summary>
    public string Activation { get; init; } = "none";
    /// <summary>One per output column, in order; a label without a category is computed but not stored (e.g. "normal").</summary>
    public required IReadOnlyList<ManifestLabel> Labels { get; init; }
    /// <summary>
    /// How several labels of one category make its score: <c>max</c> (independent outputs), or <c>sum</c> for the
    /// classes of one softmax, which exclude each other (nsfwjs' Porn and Hentai are together the chance of sexual content).
    /// </summary>
    public string Combine { get; init; } = "max";
    public ImageInput? Image { get; init; }
    public TextInput? Text { get; init; }
    /// <summary>An image model's second output: a feature vector per image, stored, searched for neighbours and learnt from by heads.</summary>
    public EmbeddingOutput? Embedding { get; init; }
    /// <summary>A head's input: the embedding of which backbone it was trained on.</summary>
    public HeadInput? Head { get; init; }
    public string? Description { get; init; }
    /// <summary>The model's licence, e.g. <c>MIT</c>.</summary>
    public string? License { get; init; }
    /// <summary>Where the model came from: package, version, integrity hash, path inside it.</summary>
    public string? Origin { get; init; }

    /// <summary>The <c>item_scores.source</c> of this model's scores.</summary>
    [JsonIgnore] public string Source => $"{Name}@{Version}";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        // Manifests are files people read: apostrophes and '+' as they are (never rendered as markup).
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static ClassifierManifest Parse(string json) =>
        JsonSerializer.Deserialize<ClassifierManifest>(json, Json) ?? throw new InvalidDataException("the manifest is empty");

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Problems that make the manifest unusable, each naming its field.</summary>
    public IReadOnlyList<string> Validate(IReadOnlyCollection<string>? policyCategories)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Name) || !Name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.'))
            problems.Add("name: lower-case letters, digits, '-', '_' and '.' only");
        if (string.IsNullOrWhiteSpace(Version) || !Version.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            problems.Add("version: letters, digits, '-', '_' and '.' only");
        if (Activation is not ("softmax" or "sigmoid" or "none")) problems.Add("activation: softmax, sigmoid or none");
        // An image model with an embedding output may be a backbone only: it scores nothing, it embeds.
        if (Labels.Count == 0 && Embedding is null) problems.Add("labels: at least one (or an embedding output, for a backbone only)");
        if (Labels.Count > 0 && !Labels.Any(l => l.Category is not null)) problems.Add("labels: at least one must map to a policy category");
        foreach (var label in Labels.Where(l => l.Category is not null && policyCategories is not null && !policyCategories.Contains(l.Category)))
            problems.Add($"labels: '{label.Name}' maps to '{label.Category}', which is not a policy category");
        if (Combine is not ("max" or "sum")) problems.Add("combine: max or sum");
        if (Embedding is not null && Modality != "image") problems.Add("embedding: image models only");
        if (Embedding is { } e && (string.IsNullOrWhiteSpace(e.Output) || e.Dimensions is < 1 or > 8192))
            problems.Add("embedding: an output name and 1 to 8192 dimensions");
        switch (Modality)
        {
            case "image" when Image is null: problems.Add("image: required for an image model"); break;
            case "image": problems.AddRange(Image.Validate()); break;
            case "text" when Text is null: problems.Add("text: required for a text model"); break;
            case "text": problems.AddRange(Text.Validate()); break;
            case "head" when Head is null: problems.Add("head: required for a head"); break;
            case "head": problems.AddRange(Head.Validate()); break;
            default: problems.Add("modality: image, text or head"); break;
        }
        return problems;
    }
}

public sealed record ManifestLabel(string Name, string? Category = null);

/// <summary>The output of an image model that is its feature vector per image (e.g. the pooled layer before the classes).</summary>
public sealed record EmbeddingOutput(string Output, int Dimensions);

/// <summary>
/// A head reads the embedding a backbone stored (<see cref="Backbone"/> = its <c>name@version</c>) as a float input of
/// <see cref="Dimensions"/> per item, and gives a score per label.
/// </summary>
public sealed record HeadInput
{
    public required string Backbone { get; init; }
    public required string Input { get; init; }
    public required int Dimensions { get; init; }

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Backbone) || !Backbone.Contains('@')) yield return "head.backbone: the backbone's name@version";
        if (string.IsNullOrWhiteSpace(Input)) yield return "head.input: the name of the head's input";
        if (Dimensions is < 1 or > 8192) yield return "head.dimensions: 1 to 8192";
    }
}

/// <summary>
/// How an image becomes the model's input tensor: decoded to RGB, resized to <see cref="Width"/>×<see cref="Height"/>,
/// each channel mapped to (value / 255 − mean) / std, laid out NCHW or NHWC.
/// </summary>
public sealed record ImageInput
{
    public required string Input { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    /// <summary><c>NCHW</c> (PyTorch exports) or <c>NHWC</c> (TensorFlow exports).</summary>
    public string Layout { get; init; } = "NCHW";
    /// <summary><c>stretch</c> to the size, or <c>crop</c>: scale to cover it, then cut the centre.</summary>
    public string Resize { get; init; } = "stretch";
    /// <summary>
    /// <c>bilinear</c>, <c>bicubic</c> or <c>nearest</c> (Skia, on 8-bit pixels), or <c>bilinear-align-corners</c>:
    /// TensorFlow's <c>resizeBilinear</c> with <c>alignCorners</c> on the scaled floats, as TF.js models such as nsfwjs
    /// prepare their input.
    /// </summary>
    public string Sampler { get; init; } = "bilinear";
    public IReadOnlyList<float> Mean { get; init; } = [0f, 0f, 0f];
    public IReadOnlyList<float> Std { get; init; } = [1f, 1f, 1f];

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Input)) yield return "image.input: the name of the model's input";
        if (Width is < 1 or > 4096 || Height is < 1 or > 4096) yield return "image.width, image.height: 1 to 4096";
        if (Layout is not ("NCHW" or "NHWC")) yield return "image.layout: NCHW or NHWC";
        if (Resize is not ("stretch" or "crop")) yield return "image.resize: stretch or crop";
        if (Sampler is not ("bilinear" or "bicubic" or "nearest" or "bilinear-align-corners"))
            yield return "image.sampler: bilinear, bicubic, nearest or bilinear-align-corners";
        if (Sampler == "bilinear-align-corners" && Resize != "stretch") yield return "image.resize: bilinear-align-corners stretches";
        if (Mean.Count != 3 || Std.Count != 3) yield return "image.mean, image.std: three values (R, G, B)";
        if (Std.Any(s => s <= 0)) yield return "image.std: positive values";
    }
}

/// <summary>
/// How a prompt becomes the model's input: the hashed word and character n-gram featuriser (<see cref="Text.PromptFeaturizer"/>)
/// gives bucket ids (int64 [batch, length]) and a mask (float [batch, length, 1]: 1 for a feature, 0 for padding).
/// </summary>
public sealed record TextInput
{
    public string Featurizer { get; init; } = "hashed-ngrams-v1";
    public required string IdsInput { get; init; }
    public required string MaskInput { get; init; }
    public required int Buckets { get; init; }
    public int WordNgrams { get; init; } = 2;
    public int CharNgramMin { get; init; } = 3;
    public int CharNgramMax { get; init; } = 5;
    /// <summary>Features beyond this many per prompt are dropped (an 8,000-character prompt stays bounded).</summary>
    public int MaxFeatures { get; init; } = 1024;

    public IEnumerable<string> Validate()
    {
        if (Featurizer != "hashed-ngrams-v1") yield return "text.featurizer: hashed-ngrams-v1";
        if (string.IsNullOrWhiteSpace(IdsInput) || string.IsNullOrWhiteSpace(MaskInput)) yield return "text.idsInput, text.maskInput: input names";
        if (Buckets < 1) yield return "text.buckets: positive";
        if (WordNgrams is < 1 or > 3) yield return "text.wordNgrams: 1 to 3";
        if (CharNgramMin < 0 || CharNgramMax < CharNgramMin || CharNgramMax > 8) yield return "text.charNgramMin/Max: 0 ≤ min ≤ max ≤ 8 (0 turns them off)";
        if (MaxFeatures < 1) yield return "text.maxFeatures: positive";
    }
}
