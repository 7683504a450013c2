using System.IO.Compression;
using System.Security.Cryptography;
using ModerationConsole.Scoring.Manifest;
using Onnx;

namespace ModerationConsole.Scoring.Import;

/// <summary>
/// ImageNet's ResNet18 as a backbone only (512 pooled features, no classes), from the NuGet package
/// Microsoft.ML.DnnImageFeaturizer.ResNet18 (MIT), checked against its pinned SHA-512. A general-purpose
/// backbone: on the symbol task it separates small details the nudity model's features miss (<c>bench backbones</c>),
/// at the cost of a second model run per image. The package's file has a batch of one; OnnxSharp makes it dynamic.
/// </summary>
public static class ResNet18Backbone
{
    public const string Name = "resnet18-imagenet";
    public const string Package = "Microsoft.ML.DnnImageFeaturizer.ResNet18";
    public const string Version = "0.24.0";
    /// <summary>SHA-512 (base64) of the signed .nupkg file as nuget.org serves it.</summary>
    public const string Sha512 = "wTCMtJKkLB557dgN0IcPt7P5LyrwxCXrc0cHDAryCaohj1t7Hoe872l+MO2TNpmO2eduzl33xPxKvL6scXlidA==";
    public const string FileInPackage = "tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx";
    private const string Input = "Input247";
    private const string Pooled = "Pooling395_Output_0";
    /// <summary>The package's ResNetPreprocess.onnx subtracts these from 0–255 pixel values (measured on constant images).</summary>
    private static readonly float[] PixelMeans = [114.4211f, 123.8862f, 125.1021f];

    public static string PackageUrl => $"https://api.nuget.org/v3-flatcontainer/{Package.ToLowerInvariant()}/{Version}/{Package.ToLowerInvariant()}.{Version}.nupkg";

    /// <summary>Downloads the package (or reads <paramref name="nupkg"/>), checks it and writes the backbone into the models folder.</summary>
    public static async Task<string> InstallAsync(string modelsDirectory, string? nupkg, TextWriter log, CancellationToken ct)
    {
        if (TfjsImport.IsInstalled(modelsDirectory, Name, Version)) return $"{Name}@{Version} is already installed in {modelsDirectory}";
        byte[] package;
        if (nupkg is not null) package = await File.ReadAllBytesAsync(nupkg, ct);
        else
        {
            log.WriteLine($"Fetching {Package} {Version} from nuget.org...");
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
            package = await http.GetByteArrayAsync(PackageUrl, ct);
        }
        var actual = System.Convert.ToBase64String(SHA512.HashData(package));
        if (actual != Sha512)
            throw new InvalidOperationException($"the package does not match the pinned SHA-512 (expected {Sha512}, got {actual}); nothing was installed");
        using var zip = new ZipArchive(new MemoryStream(package));
        var entry = zip.GetEntry(FileInPackage) ?? throw new InvalidDataException($"{FileInPackage} is not in the package");
        using var onnx = new MemoryStream();
        await using (var stream = entry.Open()) await stream.CopyToAsync(onnx, ct);
        TfjsImport.Write(modelsDirectory, Name, WithDynamicBatch(onnx.ToArray()), Manifest());
        return $"Installed {Name}@{Version} into {modelsDirectory}; set Scoring:Backbone={Name} to embed with it";
    }

    /// <summary>The leading dimension of the inputs, outputs and reshapes becomes a symbolic batch.</summary>
    public static byte[] WithDynamicBatch(byte[] onnx)
    {
        var model = ModelProto.Parser.ParseFrom(onnx);
        model.Graph.SetDim();
        return Google.Protobuf.MessageExtensions.ToByteArray(model);
    }

    /// <summary>224×224 stretched, NCHW, the package's pixel means; the pooled 512 features are the embedding.</summary>
    public static ClassifierManifest Manifest() => new()
    {
        Name = Name,
        Version = Version,
        Modality = "image",
        File = $"{Name}.onnx",
        Output = Pooled,
        Labels = [],
        Embedding = new EmbeddingOutput(Pooled, 512),
        Image = new ImageInput
        {
            Input = Input, Width = 224, Height = 224, Layout = "NCHW", Resize = "stretch", Sampler = "bilinear",
            Mean = PixelMeans.Select(m => m / 255f).ToList(), Std = [1 / 255f, 1 / 255f, 1 / 255f],
        },
        Description = "ImageNet ResNet18, a backbone only: its pooled features are stored per image for similar items and learned heads",
        License = "MIT",
        Origin = $"NuGet {Package} {Version} ({Sha512}), {FileInPackage}",
    };
}
