using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using ModerationConsole.Scoring.Import;
using ModerationConsole.Tests.Infrastructure;
using static ModerationConsole.Tests.Scoring.Import.KerasModelBuilder;

namespace ModerationConsole.Tests.Scoring.Import;

/// <summary>
/// The converter against TensorFlow.js itself: a model using every supported layer (odd sizes, both paddings, strides,
/// a dilation, a depth multiplier, folded and standalone batch norms, channel and feature concatenation) gives TF.js'
/// outputs from the same weights and inputs.
/// </summary>
[Trait(TestKind.Trait, TestKind.Peer)]
public sealed class TfjsToOnnxTests
{
    [Fact]
    public async Task Every_supported_layer_gives_what_tensorflow_js_gives()
    {
        var folder = Directory.CreateTempSubdirectory("mc-keras-");
        try
        {
            EveryLayer().WriteTo(folder.FullName, "dense_2");
            const int batch = 2;
            var random = new Random(7);
            var input = Enumerable.Range(0, batch * 17 * 15 * 3).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            var inputFile = Path.Combine(folder.FullName, "input.f32");
            await File.WriteAllBytesAsync(inputFile, input.SelectMany(BitConverter.GetBytes).ToArray());

            var expected = JsonSerializer.Deserialize<float[]>((await NodePeers.RunAsync("tfjs-predict.js", folder.FullName, inputFile, $"{batch}"))[0])!;
            var converted = TfjsToOnnx.Convert(TfjsModelFiles.Read(folder.FullName), "spec");
            using var session = new InferenceSession(converted.Onnx);
            using var tensor = OrtValue.CreateTensorValueFromMemory(input, [batch, 17, 15, 3]);
            using var outputs = session.Run(new RunOptions(), [converted.Input], [tensor], [converted.Output]);
            var actual = outputs[0].GetTensorDataAsSpan<float>().ToArray();

            Assert.Equal((converted.Height, converted.Width, converted.Channels, converted.Classes), (17, 15, 3, 5));
            Assert.Equal(expected.Length, actual.Length);
            for (var i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-5, $"output {i}: TF.js {expected[i]}, ONNX {actual[i]}");
            Assert.True(expected.Max() - expected.Min() > 0.05, "the outputs differ enough to tell a wrong conversion");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>17×15×3 in, five softmax outputs; every layer type the converter supports, most settings of each.</summary>
    internal static KerasModelBuilder EveryLayer() => new KerasModelBuilder(seed: 3)
        .Input("input_1", 17, 15, 3)
        .Layer("pad", "ZeroPadding2D", Config(("padding", new System.Text.Json.Nodes.JsonArray(Pair(1, 2), Pair(0, 1))), ("data_format", "channels_last")), ["input_1"])
        .Layer("conv_a", "Conv2D", Conv(8, 3, 2, "valid", bias: false), ["pad"], ("kernel", [3, 3, 3, 8], "any"))
        .Layer("bn_a", "BatchNormalization", Norm(scale: true), ["conv_a"], Norm("gamma", 8), ("beta", [8], "any"), ("moving_mean", [8], "any"), ("moving_variance", [8], "positive"))
        .Layer("relu_a", "ReLU", Config(("max_value", 6), ("negative_slope", 0), ("threshold", 0)), ["bn_a"])
        .Layer("dw", "DepthwiseConv2D", Config(("kernel_size", Pair(3, 3)), ("strides", Pair(1, 1)), ("padding", "same"), ("depth_multiplier", 2),
            ("use_bias", true), ("activation", "linear"), ("data_format", "channels_last"), ("dilation_rate", Pair(1, 1))), ["relu_a"],
            ("depthwise_kernel", [3, 3, 8, 2], "any"), ("bias", [16], "any"))
        .Layer("act_dw", "Activation", Config(("activation", "relu")), ["dw"])
        .Layer("bn_b", "BatchNormalization", Norm(scale: false), ["act_dw"], ("beta", [16], "any"), ("moving_mean", [16], "any"), ("moving_variance", [16], "positive"))
        .Layer("conv_b", "Conv2D", Conv(6, 1, 1, "same", bias: true, activation: "relu6"), ["bn_b"], ("kernel", [1, 1, 16, 6], "any"), ("bias", [6], "any"))
        .Layer("pool_b", "MaxPooling2D", Config(("pool_size", Pair(3, 3)), ("strides", Pair(1, 1)), ("padding", "same"), ("data_format", "channels_last")), ["bn_b"])
        .Layer("cat", "Concatenate", Config(("axis", -1)), ["conv_b", "pool_b"])
        .Layer("conv_c", "Conv2D", Conv(22, 3, 1, "same", bias: true, activation: "tanh", dilation: 2), ["cat"], ("kernel", [3, 3, 22, 22], "any"), ("bias", [22], "any"))
        .Layer("add", "Add", Config(), ["cat", "conv_c"])
        .Layer("avg", "AveragePooling2D", Config(("pool_size", Pair(3, 3)), ("strides", Pair(2, 2)), ("padding", "same"), ("data_format", "channels_last")), ["add"])
        .Layer("flat", "Flatten", Config(("data_format", "channels_last")), ["avg"])
        .Layer("gap", "GlobalAveragePooling2D", Config(("data_format", "channels_last")), ["add"])
        .Layer("feats", "Concatenate", Config(("axis", -1)), ["flat", "gap"])
        .Layer("dense_1", "Dense", Config(("units", 12), ("activation", "sigmoid"), ("use_bias", true)), ["feats"], ("kernel", [5 * 4 * 22 + 22, 12], "any"), ("bias", [12], "any"))
        .Layer("drop", "Dropout", Config(("rate", 0.5)), ["dense_1"])
        .Layer("dense_2", "Dense", Config(("units", 5), ("activation", "softmax"), ("use_bias", true)), ["drop"], ("kernel", [12, 5], "any"), ("bias", [5], "any"));

    private static System.Text.Json.Nodes.JsonObject Conv(int filters, int kernel, int stride, string padding, bool bias, string activation = "linear", int dilation = 1) =>
        Config(("filters", filters), ("kernel_size", Pair(kernel, kernel)), ("strides", Pair(stride, stride)), ("padding", padding),
            ("data_format", "channels_last"), ("dilation_rate", Pair(dilation, dilation)), ("activation", activation), ("use_bias", bias));

    private static System.Text.Json.Nodes.JsonObject Norm(bool scale) =>
        Config(("axis", -1), ("momentum", 0.99), ("epsilon", 0.001), ("center", true), ("scale", scale));

    private static (string, int[], string) Norm(string weight, int channels) => (weight, [channels], "positive");
}
