using System.Buffers;
using System.Runtime.CompilerServices;

namespace ModerationConsole.Imaging;

/// <summary>
/// Working buffers of a decode: pooled up to a 2048×2048 image's, allocated fresh above, and the fresh ones collected
/// soon after they are given back. The shared pool keeps what it is given per thread and per core until memory runs
/// short, so a few 4096×4096 images' buffers kept there would hold gigabytes no decode uses. Left to itself the
/// collector frees large buffers only when its large-object budget runs out, which let a stream of such images take
/// the working set 1.2 GiB over idle (bench ingest-memory, 8 requests) against 0.46 GiB when collected every 256 MiB
/// given back, at the same speed: a collection costs little beside decoding a 16-megapixel image.
/// </summary>
public static class PixelBuffers
{
    private const int PooledElements = 2048 * 2048;
    private const long CollectAfterBytes = 256L * 1024 * 1024;
    private static long givenBack;

    public static T[] Rent<T>(int length) =>
        length <= PooledElements ? ArrayPool<T>.Shared.Rent(length) : GC.AllocateUninitializedArray<T>(length);

    public static void Return<T>(T[] buffer)
    {
        if (buffer.Length <= PooledElements)
        {
            ArrayPool<T>.Shared.Return(buffer);
            return;
        }
        if (Interlocked.Add(ref givenBack, (long)buffer.Length * Unsafe.SizeOf<T>()) < CollectAfterBytes) return;
        Interlocked.Exchange(ref givenBack, 0);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
    }
}
