using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;

namespace ModerationConsole.Scoring.Import;

/// <summary>
/// A TF.js layers model as its files hold it: the model topology (Keras' JSON config), the weights manifest, and the
/// bytes of each weight group (its shards concatenated). Read from a folder or from an npm tarball (<c>.tgz</c>), in
/// either of TF.js's two packagings: <c>model.json</c> with binary shards, or JS modules (<c>model.min.js</c> exporting
/// <c>{modelTopology, weightsManifest}</c>, each shard a module exporting its bytes as base64), as nsfwjs ships them.
/// </summary>
public sealed record TfjsModelFiles(JsonObject Topology, JsonArray WeightsManifest, IReadOnlyList<byte[]> GroupBytes)
{
    /// <summary>
    /// Reads the model in <paramref name="path"/>: a folder holding it, or a tarball with <paramref name="folder"/> the
    /// model's folder inside it (optional when the tarball holds one model).
    /// </summary>
    public static TfjsModelFiles Read(string path, string? folder = null)
    {
        if (Directory.Exists(path))
        {
            var root = folder is null ? path : Path.Combine(path, folder);
            return FromFiles(name => File.Exists(Path.Combine(root, name)) ? File.ReadAllBytes(Path.Combine(root, name)) : null, root);
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file or folder", path);
        var entries = ReadTarball(path);
        var modelFolders = entries.Keys
            .Where(name => Path.GetFileName(name) is "model.json" or "model.min.js")
            .Select(name => Path.GetDirectoryName(name)!.Replace('\\', '/'))
            .Distinct().Order().ToList();
        var chosen = folder?.Trim('/') ?? (modelFolders.Count == 1
            ? modelFolders[0]
            : throw new InvalidDataException($"{path} holds {modelFolders.Count} models; name one with --folder: {string.Join(", ", modelFolders)}"));
        if (!modelFolders.Contains(chosen))
            throw new InvalidDataException($"{path}: no model in '{chosen}'; models are in: {string.Join(", ", modelFolders)}");
        return FromFiles(name => entries.GetValueOrDefault($"{chosen}/{name}"), $"{path}:{chosen}");
    }

    private static TfjsModelFiles FromFiles(Func<string, byte[]?> file, string where)
    {
        JsonObject model;
        Func<string, byte[]> shard;
        if (file("model.json") is { } json)
        {
            model = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException($"{where}/model.json: not a JSON object");
            shard = name => file(name) ?? throw new InvalidDataException($"{where}: weight file '{name}' is missing");
        }
        else if (file("model.min.js") is { } module)
        {
            model = JsLiteralReader.ReadModuleExports(Encoding.UTF8.GetString(module), $"{where}/model.min.js") as JsonObject
                ?? throw new InvalidDataException($"{where}/model.min.js: does not export an object");
            shard = name =>
            {
                var bytes = file(name + ".min.js") ?? throw new InvalidDataException($"{where}: weight module '{name}.min.js' is missing");
                var base64 = JsLiteralReader.ReadModuleExports(Encoding.UTF8.GetString(bytes), $"{where}/{name}.min.js")?.GetValue<string>()
                    ?? throw new InvalidDataException($"{where}/{name}.min.js: does not export a string");
                return Convert.FromBase64String(base64);
            };
        }
        else
        {
            throw new InvalidDataException($"{where}: neither model.json nor model.min.js is there");
        }

        var topology = model["modelTopology"] as JsonObject ?? throw new InvalidDataException($"{where}: no modelTopology");
        var manifest = model["weightsManifest"] as JsonArray ?? throw new InvalidDataException($"{where}: no weightsManifest");
        var groups = manifest.Select((group, index) =>
        {
            var paths = group?["paths"] as JsonArray ?? throw new InvalidDataException($"{where}: weightsManifest[{index}] has no paths");
            return paths.Select(p => shard(p!.GetValue<string>())).SelectMany(b => b).ToArray();
        }).ToList();
        return new TfjsModelFiles(topology, manifest, groups);
    }

    /// <summary>Every regular file of a gzipped tarball, by its path inside it.</summary>
    private static Dictionary<string, byte[]> ReadTarball(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
            using var copy = new MemoryStream();
            entry.DataStream.CopyTo(copy);
            entries[entry.Name.TrimStart('.', '/')] = copy.ToArray();
        }
        return entries;
    }
}
