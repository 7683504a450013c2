using ModerationConsole.Imaging;
using ModerationConsole.Tests.Infrastructure;
using SkiaSharp;

namespace ModerationConsole.Tests.Imaging;

/// <summary>
/// Every decode in the process takes its pixels' share of one memory budget first (256 MiB by default), so a flood of
/// tiny PNGs that are huge images waits its turn instead of holding gigabytes at once. Waiting decodes start in the
/// order they came, so small images wait behind a large one rather than starve it.
/// </summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class DecodeBudgetTests
{
    private static readonly byte[] Huge = FlatPng(4096, 4096);

    private static byte[] FlatPng(int width, int height)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(new SKColor(90, 90, 90));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    [Fact]
    public async Task A_second_huge_image_waits_until_the_first_gives_its_share_back()
    {
        Assert.Equal(DecodeBudget.DefaultBytes, DecodeBudget.Bytes);
        // Other tests decode at the same time in this process: nothing here waits while holding a share.
        var first = await DecodeBudget.AcquireAsync(Huge, TestContext.Current.CancellationToken);
        var second = DecodeBudget.AcquireAsync(Huge, TestContext.Current.CancellationToken).AsTask();
        // 2 × 4096 × 4096 × 12 bytes is 384 MiB: the second cannot start while the first holds 192 MiB of 256.
        await Task.Delay(TimeSpan.FromMilliseconds(300), TestContext.Current.CancellationToken);
        Assert.False(second.IsCompleted);

        first.Dispose();
        using var started = await second.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.True(started.IsAcquired);
    }

    [Fact]
    public void A_huge_image_hashes_within_the_budget_and_bytes_that_are_no_image_go_on_to_fail_at_decoding()
    {
        Assert.NotNull(ModerationConsole.Hashing.ImageFingerprint.TryHash(Huge));
        using (var garbage = DecodeBudget.Acquire([1, 2, 3, 4], TestContext.Current.CancellationToken))
            Assert.True(garbage.IsAcquired);
        Assert.Null(ModerationConsole.Hashing.ImageFingerprint.TryHash([1, 2, 3, 4]));
    }
}
