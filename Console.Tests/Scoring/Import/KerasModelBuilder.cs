using System.Text.Json.Nodes;

namespace ModerationConsole.Tests.Scoring.Import;

/// <summary>
/// Builds a TF.js layers model as TF.js writes one (model.json with a Keras functional config, float32 weights in
/// group1-shard1of1.bin), with random weights from a seed, for the converter's specs.
/// </summary>
public sealed class KerasModelBuilder(int seed)
{
    private readonly Random random = new(seed);
    private readonly JsonArray layers = [];
    private readonly JsonArray weightSpecs = [];
    private readonly MemoryStream weightBytes = new();
    private string? inputName;

    public KerasModelBuilder Input(string name, int height, int width, int channels)
    {
        inputName = name;
        return Layer(name, "InputLayer", new JsonObject { ["batch_input_shape"] = new JsonArray(null, height, width, channels), ["dtype"] = "float32" }, []);
    }

    /// <summary>A layer with its config; <paramref name="weights"/> are (name, shape, kind) with kind "any", "positive" or "one".</summary>
    public KerasModelBuilder Layer(string name, string className, JsonObject config, string[] inbound, params (string Weight, int[] Shape, string Kind)[] weights)
    {
        config["name"] = name;
        config["trainable"] = false;
        layers.Add(new JsonObject
        {
            ["name"] = name,
            ["class_name"] = className,
            ["config"] = config,
            ["inbound_nodes"] = inbound.Length == 0 ? new JsonArray() : new JsonArray(new JsonArray(inbound.Select(i => (JsonNode)new JsonArray(i, 0, 0, new JsonObject())).ToArray())),
        });
        foreach (var (weight, shape, kind) in weights)
        {
            weightSpecs.Add(new JsonObject { ["name"] = $"{name}/{weight}", ["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray()), ["dtype"] = "float32" });
            var count = shape.Aggregate(1, (a, b) => a * b);
            for (var i = 0; i < count; i++)
            {
                var value = kind switch
                {
                    "positive" => 0.5f + (float)random.NextDouble(),
                    _ => (float)(random.NextDouble() * 2 - 1) * 0.5f,
                };
                weightBytes.Write(BitConverter.GetBytes(value));
            }
        }
        return this;
    }

    /// <summary>Writes model.json and its weight file into <paramref name="folder"/>.</summary>
    public void WriteTo(string folder, string output)
    {
        var model = new JsonObject
        {
            ["format"] = "layers-model",
            ["modelTopology"] = new JsonObject
            {
                ["keras_version"] = "2.2.4",
                ["backend"] = "tensorflow",
                ["model_config"] = new JsonObject
                {
                    ["class_name"] = "Model",
                    ["config"] = new JsonObject
                    {
                        ["name"] = "spec_model",
                        ["layers"] = layers.DeepClone(),
                        ["input_layers"] = new JsonArray(new JsonArray(inputName, 0, 0)),
                        ["output_layers"] = new JsonArray(new JsonArray(output, 0, 0)),
                    },
                },
            },
            ["weightsManifest"] = new JsonArray(new JsonObject { ["paths"] = new JsonArray("group1-shard1of1.bin"), ["weights"] = weightSpecs.DeepClone() }),
        };
        File.WriteAllText(Path.Combine(folder, "model.json"), model.ToJsonString());
        File.WriteAllBytes(Path.Combine(folder, "group1-shard1of1.bin"), weightBytes.ToArray());
    }

    public static JsonObject Config(params (string Key, JsonNode? Value)[] entries)
    {
        var config = new JsonObject();
        foreach (var (key, value) in entries) config[key] = value;
        return config;
    }

    public static JsonArray Pair(int a, int b) => new(a, b);
}
