using System.IO.Compression;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModerationConsole.Scoring;
using ModerationConsole.Scoring.Manifest;
using ModerationConsole.Scoring.Onnx;
using ModerationConsole.Scoring.Runtime;
using ModerationConsole.Simulate;
using Onnx;

namespace ModerationConsole.Tests.Scoring;

/// <summary>Small models with weights the tests choose, and images whose every pixel the tests know.</summary>
internal static class ScoringTestModels
{
    public static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    public static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    /// <summary>Flatten → MatMul → Add over a [batch, 3, 2, 2] input: 12 inputs, 3 logits.</summary>
    public static byte[] LinearImageModel(float[] weights, float[] bias) => new OnnxGraph("linear")
        .Input("pixels", TensorProto.Types.DataType.Float, -1, 3, 2, 2)
        .Initializer("w", weights, 12, 3)
        .Initializer("b", bias, 3)
        .Node("Flatten", ["pixels"], ["flat"], ("axis", 1L))
        .Node("MatMul", ["flat", "w"], ["xw"])
        .Node("Add", ["xw", "b"], ["logits"])
        .Output("logits", TensorProto.Types.DataType.Float, -1, 3)
        .ToBytes();

    /// <summary>The mean of each channel over the image: [batch, 3, H, W] → [batch, 3], activation left to the manifest.</summary>
    public static byte[] ChannelMeanModel() => new OnnxGraph("channel_mean")
        .Input("pixels", TensorProto.Types.DataType.Float, -1, 3, -1, -1)
        .Node("ReduceMean", ["pixels"], ["means"], ("axes", new long[] { 2, 3 }), ("keepdims", 0L))
        .Output("means", TensorProto.Types.DataType.Float, -1, 3)
        .ToBytes();

    public static ClassifierManifest ImageManifest(string name, int width, int height, string activation, params string?[] categories) => new()
    {
        Name = name,
        Version = "1",
        Modality = "image",
        Output = name == "channel-mean" ? "means" : "logits",
        Activation = activation,
        Labels = categories.Select((c, i) => new ManifestLabel($"label{i}", c)).ToList(),
        Image = new ImageInput { Input = "pixels", Width = width, Height = height, Mean = ImageNetMean, Std = ImageNetStd },
    };

    /// <summary>
    /// The channel-mean model (8×8, sigmoid) dropped into a models folder as an operator drops one: its channels feed
    /// <c>sexual</c> and <c>violence</c>, the third nothing. The console registers it at start as <c>channel-mean@1</c>.
    /// </summary>
    public static async Task DropChannelMeanModelAsync(string folder)
    {
        var manifest = ImageManifest("channel-mean", 8, 8, "sigmoid", "sexual", "violence", null);
        await File.WriteAllBytesAsync(Path.Combine(folder, "channel-mean.onnx"), ChannelMeanModel());
        await File.WriteAllTextAsync(Path.Combine(folder, "channel-mean.json"), manifest.ToJson());
    }

    /// <summary>A host on the CPU that is not attached to any database (models are opened directly).</summary>
    public static ClassifierHost CpuHost()
    {
        var options = Options.Create(new ScoringOptions { ExecutionProvider = "cpu" });
        var environment = new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { ContentRootPath = Path.GetTempPath() };
        return new ClassifierHost(options, new ModelFolder(options, environment), null!, NullLogger<ClassifierHost>.Instance);
    }

    /// <summary>An RGB PNG whose pixel (x, y) is <paramref name="pixel"/>(x, y), written without any image library.</summary>
    public static byte[] RgbPng(int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel)
    {
        var output = new MemoryStream();
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = 2;
        SyntheticImages.WriteChunk(output, "IHDR"u8, header);
        var raw = new MemoryStream();
        using (var zlib = new ZLibStream(raw, CompressionLevel.Fastest, leaveOpen: true))
        {
            for (var y = 0; y < height; y++)
            {
                zlib.WriteByte(0);
                for (var x = 0; x < width; x++)
                {
                    var (r, g, b) = pixel(x, y);
                    zlib.Write([r, g, b]);
                }
            }
        }
        SyntheticImages.WriteChunk(output, "IDAT"u8, raw.ToArray());
        SyntheticImages.WriteChunk(output, "IEND"u8, []);
        return output.ToArray();
    }

    /// <summary>A pixel pattern where every position and channel differs: (x, y, c) → distinct bytes.</summary>
    public static (byte, byte, byte) Pattern(int x, int y) => ((byte)(x * 7 + y * 31), (byte)(255 - x * 13 - y * 3), (byte)(x * y * 5 + 17));
}
