using System.Text.Json.Nodes;
using ModerationConsole.Scoring.Import;
using ModerationConsole.Tests.Infrastructure;
using static ModerationConsole.Tests.Scoring.Import.KerasModelBuilder;

namespace ModerationConsole.Tests.Scoring.Import;

/// <summary>What the converter cannot do, it says, naming the layer: a model is never converted with a part left out.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class TfjsImportRefusalTests
{
    [Fact]
    public void An_unknown_layer_is_an_error_naming_it()
    {
        var model = new KerasModelBuilder(1).Input("in", 8, 8, 3)
            .Layer("upsample", "UpSampling2D", Config(("size", Pair(2, 2))), ["in"])
            .Layer("flat", "Flatten", Config(), ["upsample"]);

        var error = Assert.Throws<NotSupportedException>(() => Convert(model, "flat"));

        Assert.Contains("layer 'upsample': UpSampling2D is not supported", error.Message);
    }

    [Fact]
    public void A_setting_it_does_not_support_is_an_error_naming_the_layer()
    {
        var model = new KerasModelBuilder(1).Input("in", 8, 8, 3)
            .Layer("leaky6", "ReLU", Config(("max_value", 6), ("negative_slope", 0.1)), ["in"])
            .Layer("flat", "Flatten", Config(), ["leaky6"]);

        Assert.Contains("layer 'leaky6'", Assert.Throws<NotSupportedException>(() => Convert(model, "flat")).Message);
    }

    [Fact]
    public void A_missing_weight_is_an_error_naming_it()
    {
        var model = new KerasModelBuilder(1).Input("in", 8, 8, 3)
            .Layer("conv", "Conv2D", Config(("filters", 4), ("kernel_size", Pair(3, 3)), ("padding", "valid"), ("use_bias", false)), ["in"])
            .Layer("flat", "Flatten", Config(), ["conv"]);

        Assert.Contains("weight 'conv/kernel' is not in the weights manifest", Assert.Throws<InvalidDataException>(() => Convert(model, "flat")).Message);
    }

    [Fact]
    public void Weights_that_do_not_fill_their_files_exactly_are_refused()
    {
        var folder = Directory.CreateTempSubdirectory("mc-keras-");
        try
        {
            new KerasModelBuilder(1).Input("in", 4, 4, 3)
                .Layer("dense", "Dense", Config(("units", 2)), ["in"], ("kernel", [48, 2], "any"))
                .WriteTo(folder.FullName, "dense");
            var weights = Path.Combine(folder.FullName, "group1-shard1of1.bin");
            File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..^4]);

            Assert.Contains("needs 384 bytes", Assert.Throws<InvalidDataException>(() => TfjsModelFiles.Read(folder.FullName) is var f ? TfjsWeights.Read(f) : null).Message);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static ConvertedModel Convert(KerasModelBuilder model, string output)
    {
        var folder = Directory.CreateTempSubdirectory("mc-keras-");
        try
        {
            model.WriteTo(folder.FullName, output);
            return TfjsToOnnx.Convert(TfjsModelFiles.Read(folder.FullName), "spec");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
