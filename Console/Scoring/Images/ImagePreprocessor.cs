using ModerationConsole.Imaging;
using ModerationConsole.Scoring.Manifest;
using SkiaSharp;

namespace ModerationConsole.Scoring.Images;

/// <summary>
/// Turns encoded image bytes into one item of a model's input tensor, written straight into the caller's batch
/// buffer (no intermediate float array): decode to 8-bit RGBA, resize with the manifest's sampler, then each channel
/// becomes (value / 255 − mean) / std in NCHW or NHWC order. Thread-safe: batches are prepared in parallel. PNGs as
/// generators write them are decoded by <see cref="ManagedPng"/>, everything else by Skia.
/// </summary>
public sealed class ImagePreprocessor
{
    private readonly ImageInput input;
    private readonly float[] scale = new float[3];
    private readonly float[] offset = new float[3];
    private readonly SKSamplingOptions sampling;
    /// <summary>Each channel's float for each byte value, (v / 255 − mean) / std: the align-corners path maps before it resizes.</summary>
    private readonly float[] lookup = new float[3 * 256];

    public ImagePreprocessor(ImageInput input)
    {
        this.input = input;
        for (var c = 0; c < 3; c++)
        {
            // (v / 255 − mean) / std == v · scale + offset: one multiply-add per value in the inner loop.
            scale[c] = 1f / (255f * input.Std[c]);
            offset[c] = -input.Mean[c] / input.Std[c];
            for (var v = 0; v < 256; v++) lookup[c * 256 + v] = (v / 255f - input.Mean[c]) / input.Std[c];
        }
        sampling = input.Sampler switch
        {
            "nearest" => new SKSamplingOptions(SKFilterMode.Nearest),
            "bicubic" => new SKSamplingOptions(SKCubicResampler.CatmullRom),
            _ => new SKSamplingOptions(SKFilterMode.Linear),
        };
    }

    /// <summary>Floats per item: 3 × width × height.</summary>
    public int ItemLength => 3 * input.Width * input.Height;

    public long[] Shape(int batch) => input.Layout == "NCHW"
        ? [batch, 3, input.Height, input.Width]
        : [batch, input.Height, input.Width, 3];

    /// <summary>Writes one image into <paramref name="destination"/> (length <see cref="ItemLength"/>); false when the bytes do not decode.</summary>
    public bool TryWrite(byte[] encoded, Span<float> destination)
    {
        using var share = DecodeBudget.Acquire(encoded);
        using var decoded = RgbaBitmap.Decode(encoded);
        if (decoded is null) return false;
        var bounds = new SKSizeI(decoded.Width, decoded.Height);
        if (input.Sampler == "bilinear-align-corners")
        {
            // As TF.js: scaled first, then resized in floats; an image already the right size is used as it is.
            AlignCornersResize.Write(decoded.GetPixelSpan(), decoded.RowBytes, bounds.Width, bounds.Height,
                input.Width, input.Height, lookup, input.Layout == "NCHW", destination);
            return true;
        }

        var (width, height) = ResizedSize(bounds.Width, bounds.Height);
        // The decoded bitmap is used as it is when already the right size: resampling it would only blur.
        using var resized = width == bounds.Width && height == bounds.Height
            ? null
            : decoded.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), sampling);
        var source = resized ?? decoded;
        if (source is null) return false;

        // Crop takes the centre window of the covering resize; stretch has no offset.
        var left = (width - input.Width) / 2;
        var top = (height - input.Height) / 2;
        Write(source.GetPixelSpan(), source.RowBytes, left, top, destination);
        return true;
    }

    /// <summary>The size the image is resized to before any crop.</summary>
    public (int Width, int Height) ResizedSize(int width, int height)
    {
        if (input.Resize == "stretch") return (input.Width, input.Height);
        // Cover: the smaller scale factor that still fills both dimensions.
        var factor = Math.Max((double)input.Width / width, (double)input.Height / height);
        return (Math.Max(input.Width, (int)Math.Round(width * factor)), Math.Max(input.Height, (int)Math.Round(height * factor)));
    }

    private void Write(ReadOnlySpan<byte> rgba, int rowBytes, int left, int top, Span<float> destination)
    {
        int w = input.Width, h = input.Height, plane = w * h;
        var nchw = input.Layout == "NCHW";
        float s0 = scale[0], s1 = scale[1], s2 = scale[2], o0 = offset[0], o1 = offset[1], o2 = offset[2];
        for (var y = 0; y < h; y++)
        {
            var row = rgba.Slice((top + y) * rowBytes + left * 4, w * 4);
            if (nchw)
            {
                var r = destination.Slice(y * w, w);
                var g = destination.Slice(plane + y * w, w);
                var b = destination.Slice(2 * plane + y * w, w);
                for (var x = 0; x < w; x++)
                {
                    r[x] = row[4 * x] * s0 + o0;
                    g[x] = row[4 * x + 1] * s1 + o1;
                    b[x] = row[4 * x + 2] * s2 + o2;
                }
            }
            else
            {
                var line = destination.Slice(y * w * 3, w * 3);
                for (var x = 0; x < w; x++)
                {
                    line[3 * x] = row[4 * x] * s0 + o0;
                    line[3 * x + 1] = row[4 * x + 1] * s1 + o1;
                    line[3 * x + 2] = row[4 * x + 2] * s2 + o2;
                }
            }
        }
    }
}
