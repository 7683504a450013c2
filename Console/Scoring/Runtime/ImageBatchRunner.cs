using System.Buffers;
using System.Threading.Channels;
using Microsoft.ML.OnnxRuntime;
using ModerationConsole.Scoring.Images;

namespace ModerationConsole.Scoring.Runtime;

/// <summary>
/// Scores images in tensor batches with decoding and inference overlapped: a producer decodes and resizes the next
/// batch (in parallel, straight into a pooled float buffer) while the model runs on the current one. The bounded
/// channel holds at most two prepared batches, so memory stays at a few batches whatever the item count.
/// </summary>
public static class ImageBatchRunner
{
    /// <summary>One image's label scores and, when asked for, its normalised embedding.</summary>
    public sealed record ImageOutput(float[] Scores, float[]? Embedding);

    private sealed record Prepared(int Start, int Count, float[] Buffer, bool[] Decoded);

    /// <summary>Scores per image (null where the bytes did not decode), in the order given.</summary>
    public static async Task<float[]?[]> RunAsync(LoadedClassifier classifier, IReadOnlyList<byte[]> images, int batchSize, int decodeThreads, CancellationToken ct) =>
        (await RunAsync(classifier, images, batchSize, decodeThreads, withEmbeddings: false, ct)).Select(o => o?.Scores).ToArray();

    /// <summary>
    /// Scores and, with <paramref name="withEmbeddings"/> and a model that has one, the L2-normalised embedding per image
    /// (null where the bytes did not decode), in the order given.
    /// </summary>
    public static async Task<ImageOutput?[]> RunAsync(LoadedClassifier classifier, IReadOnlyList<byte[]> images, int batchSize, int decodeThreads,
        bool withEmbeddings, CancellationToken ct)
    {
        var preprocessor = new ImagePreprocessor(classifier.Manifest.Image!);
        var itemLength = preprocessor.ItemLength;
        var results = new ImageOutput?[images.Count];
        var channel = Channel.CreateBounded<Prepared>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = decodeThreads > 0 ? decodeThreads : Environment.ProcessorCount, CancellationToken = ct };

        var producer = Task.Run(async () =>
        {
            try
            {
                for (var start = 0; start < images.Count; start += batchSize)
                {
                    var count = Math.Min(batchSize, images.Count - start);
                    var buffer = ArrayPool<float>.Shared.Rent(count * itemLength);
                    var decoded = new bool[count];
                    Parallel.For(0, count, parallel, i =>
                    {
                        var slot = buffer.AsSpan(i * itemLength, itemLength);
                        decoded[i] = preprocessor.TryWrite(images[start + i], slot);
                        if (!decoded[i]) slot.Clear(); // a defined input; its output is thrown away
                    });
                    await channel.Writer.WriteAsync(new Prepared(start, count, buffer, decoded), ct);
                }
                channel.Writer.Complete();
            }
            catch (Exception ex)
            {
                channel.Writer.Complete(ex);
            }
        }, ct);

        string[] inputNames = [classifier.Manifest.Image!.Input];
        await foreach (var batch in channel.Reader.ReadAllAsync(ct))
        {
            try
            {
                // The tensor is a view over the pooled buffer: ONNX Runtime reads it in place, nothing is copied.
                using var tensor = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
                    batch.Buffer.AsMemory(0, batch.Count * itemLength), preprocessor.Shape(batch.Count));
                var (scores, embeddings) = classifier.Run(inputNames, [tensor], batch.Count, withEmbeddings);
                var labels = classifier.LabelCount;
                var dimensions = classifier.Manifest.Embedding?.Dimensions ?? 0;
                for (var i = 0; i < batch.Count; i++)
                {
                    if (!batch.Decoded[i]) continue;
                    float[]? embedding = null;
                    if (embeddings is not null)
                    {
                        embedding = embeddings.AsSpan(i * dimensions, dimensions).ToArray();
                        Embeddings.EmbeddingVector.Prepare(embedding);
                    }
                    results[batch.Start + i] = new ImageOutput(scores.AsSpan(i * labels, labels).ToArray(), embedding);
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(batch.Buffer);
            }
        }
        await producer;
        return results;
    }
}
