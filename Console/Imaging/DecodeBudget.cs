using System.Threading.RateLimiting;
using ModerationConsole.Ingest.Validation;
using SkiaSharp;

namespace ModerationConsole.Imaging;

/// <summary>
/// Bounds, across the whole process, the memory that images being decoded hold. A PNG of a few kilobytes may be a
/// 4096×4096 image (64 MiB of RGBA, and as much again for each working buffer), so counting requests or images bounds
/// nothing: each decode takes its pixels' worth of the budget first and gives it back when done, waiting while the
/// budget is spent. Ingest, scoring and checks all decode through it.
/// </summary>
public static class DecodeBudget
{
    /// <summary>
    /// The most one decode holds at once, per pixel: the RGBA bitmap, and beside it either the PNG's inflated rows or
    /// PDQ's luminance and blur scratch, 4 bytes a pixel each.
    /// </summary>
    public const int BytesPerPixel = 12;

    public const long DefaultBytes = 256L * 1024 * 1024;

    // Permits are kibibytes: a count of bytes would overflow the limiter's int.
    private const int PermitBytes = 1024;

    private sealed record Budget(ConcurrencyLimiter Limiter, int Permits, long Bytes);

    private static Budget budget = Create(DefaultBytes);

    /// <summary>The budget in bytes (Ingest:DecodeBudgetBytes).</summary>
    public static long Bytes => budget.Bytes;

    /// <summary>Sets the budget at start-up; decodes already waiting finish against the one they waited on.</summary>
    public static void Configure(long bytes)
    {
        if (bytes != budget.Bytes) budget = Create(bytes);
    }

    private static Budget Create(long bytes)
    {
        var permits = (int)Math.Clamp(bytes / PermitBytes, 1, int.MaxValue);
        return new Budget(new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = permits,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst, // a large image is not starved by small ones
        }), permits, bytes);
    }

    /// <summary>
    /// Waits until the decode of <paramref name="encoded"/> fits in the budget, and takes its share; dispose the lease
    /// when its pixels and buffers are given back. An image larger than the whole budget waits for all of it.
    /// </summary>
    public static RateLimitLease Acquire(byte[] encoded, CancellationToken ct = default)
    {
        var (limiter, permits) = Share(encoded);
        var lease = limiter.AttemptAcquire(permits);
        if (lease.IsAcquired) return lease;
        lease.Dispose();
        // For callers that decode on threads of their own (scoring's decode threads, the command line); ingest waits
        // without holding a thread (AcquireAsync).
        return Granted(limiter.AcquireAsync(permits, ct).AsTask().GetAwaiter().GetResult());
    }

    /// <summary><see cref="Acquire"/> without holding a thread while the budget is spent.</summary>
    public static async ValueTask<RateLimitLease> AcquireAsync(byte[] encoded, CancellationToken ct = default)
    {
        var (limiter, permits) = Share(encoded);
        return Granted(await limiter.AcquireAsync(permits, ct));
    }

    private static (ConcurrencyLimiter Limiter, int Permits) Share(byte[] encoded)
    {
        var current = budget;
        return (current.Limiter, (int)Math.Clamp(Pixels(encoded) * BytesPerPixel / PermitBytes, 1, current.Permits));
    }

    private static RateLimitLease Granted(RateLimitLease lease) =>
        lease.IsAcquired ? lease : throw new InvalidOperationException("The decode budget refused to queue a decode.");

    /// <summary>Width × height from the header, without decoding; 0 when it is no image Skia reads.</summary>
    private static long Pixels(byte[] encoded)
    {
        if (ImageInspector.Inspect(encoded).Info is { } info) return (long)info.Width * info.Height;
        // Formats only Skia reads (the command line hashes any file).
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data);
        return codec is null ? 0 : (long)codec.Info.Width * codec.Info.Height;
    }
}
