using System.Buffers.Binary;
using System.Text.Json.Nodes;

namespace ModerationConsole.Scoring.Import;

/// <summary>One weight tensor, dequantized to float32, in TF.js's (Keras') layout.</summary>
public sealed record TfjsWeight(string Name, int[] Shape, float[] Values);

/// <summary>
/// Reads the weights of a TF.js weights manifest out of its group bytes, in manifest order, as TF.js's loader does:
/// float32 as it is, and quantized weights dequantized (<c>uint8</c>/<c>uint16</c>: q · scale + min, as a double
/// rounded to float32; <c>float16</c>: widened).
/// </summary>
public static class TfjsWeights
{
    public static IReadOnlyDictionary<string, TfjsWeight> Read(TfjsModelFiles files)
    {
        var weights = new Dictionary<string, TfjsWeight>(StringComparer.Ordinal);
        for (var g = 0; g < files.WeightsManifest.Count; g++)
        {
            var bytes = files.GroupBytes[g];
            var offset = 0;
            var entries = files.WeightsManifest[g]?["weights"] as JsonArray ?? throw new InvalidDataException($"weightsManifest[{g}] has no weights");
            foreach (var entry in entries)
            {
                var name = entry?["name"]?.GetValue<string>() ?? throw new InvalidDataException($"weightsManifest[{g}]: a weight without a name");
                var shape = (entry["shape"] as JsonArray)?.Select(d => (int)d!.GetValue<double>()).ToArray() ?? [];
                var count = shape.Aggregate(1, (a, b) => checked(a * b));
                var dtype = entry["dtype"]?.GetValue<string>() ?? "float32";
                if (dtype != "float32") throw new InvalidDataException($"weight '{name}': dtype {dtype} is not supported (float32 only)");
                var quantization = entry["quantization"] as JsonObject;
                var stored = quantization?["dtype"]?.GetValue<string>() ?? "float32";
                var width = stored switch
                {
                    "float32" => 4,
                    "uint8" => 1,
                    "uint16" or "float16" => 2,
                    _ => throw new InvalidDataException($"weight '{name}': quantization {stored} is not supported"),
                };
                if (offset + count * width > bytes.Length)
                    throw new InvalidDataException($"weight '{name}' needs {count * width} bytes at {offset}; the group has {bytes.Length}");
                var values = new float[count];
                var span = bytes.AsSpan(offset, count * width);
                switch (stored)
                {
                    case "float32":
                        for (var i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(span[(4 * i)..]);
                        break;
                    case "float16":
                        for (var i = 0; i < count; i++) values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(span[(2 * i)..]);
                        break;
                    default:
                        var scale = quantization!["scale"]?.GetValue<double>() ?? throw new InvalidDataException($"weight '{name}': quantization without scale");
                        var min = quantization["min"]?.GetValue<double>() ?? throw new InvalidDataException($"weight '{name}': quantization without min");
                        for (var i = 0; i < count; i++)
                        {
                            int q = width == 1 ? span[i] : BinaryPrimitives.ReadUInt16LittleEndian(span[(2 * i)..]);
                            values[i] = (float)(q * scale + min);
                        }
                        break;
                }
                offset += count * width;
                if (!weights.TryAdd(name, new TfjsWeight(name, shape, values))) throw new InvalidDataException($"weight '{name}' appears twice");
            }
            if (offset != bytes.Length) throw new InvalidDataException($"weightsManifest[{g}] describes {offset} bytes; its files hold {bytes.Length}");
        }
        return weights;
    }
}
