using System.Text.Json.Nodes;

namespace ModerationConsole.Scoring.Import;

/// <summary>One layer of a Keras functional model's config, with the names of the layers feeding it.</summary>
public sealed record KerasLayer(string Name, string ClassName, JsonObject Config, IReadOnlyList<string> Inbound)
{
    public static KerasLayer From(JsonObject layer)
    {
        var name = layer["name"]?.GetValue<string>() ?? throw new InvalidDataException("a layer without a name");
        var className = layer["class_name"]?.GetValue<string>() ?? throw new InvalidDataException($"layer '{name}' has no class_name");
        var config = layer["config"] as JsonObject ?? new JsonObject();
        var nodes = layer["inbound_nodes"] as JsonArray ?? [];
        if (nodes.Count > 1) throw new NotSupportedException($"layer '{name}' is called {nodes.Count} times (shared layers are not supported)");
        var inbound = nodes.Count == 0
            ? []
            : (nodes[0] as JsonArray ?? []).Select(source =>
            {
                var sourceLayer = source?[0]?.GetValue<string>() ?? throw new InvalidDataException($"layer '{name}': an inbound node without a layer");
                var nodeIndex = source[1]?.GetValue<double>() ?? 0;
                var tensorIndex = source[2]?.GetValue<double>() ?? 0;
                if (nodeIndex != 0 || tensorIndex != 0)
                    throw new NotSupportedException($"layer '{name}' reads output {tensorIndex} of call {nodeIndex} of '{sourceLayer}' (first outputs only)");
                return sourceLayer;
            }).ToList();
        return new KerasLayer(name, className, config, inbound);
    }

    public string? String(string key) => Config[key]?.GetValue<string>();

    public double? Number(string key) => Config[key] is JsonValue value && value.TryGetValue<double>(out var number) ? number : null;

    public bool Flag(string key, bool otherwise) => Config[key] is JsonValue value && value.TryGetValue<bool>(out var flag) ? flag : otherwise;

    /// <summary>A pair such as <c>kernel_size</c> or <c>strides</c>: <c>[a, b]</c>, or one number for both.</summary>
    public (int A, int B) Pair(string key, (int, int) otherwise)
    {
        return Config[key] switch
        {
            JsonArray { Count: 2 } pair => ((int)pair[0]!.GetValue<double>(), (int)pair[1]!.GetValue<double>()),
            JsonValue single when single.TryGetValue<double>(out var n) => ((int)n, (int)n),
            null => otherwise,
            var other => throw new InvalidDataException($"layer '{Name}': {key} = {other.ToJsonString()} is not a pair"),
        };
    }

    /// <summary>Only channels-last models are converted (TF.js' default; its NHWC input is the model's interface).</summary>
    public void RequireChannelsLast()
    {
        if (String("data_format") is { } format && format != "channels_last")
            throw new NotSupportedException($"layer '{Name}': data_format {format} is not supported (channels_last only)");
    }
}
