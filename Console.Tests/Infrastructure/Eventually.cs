namespace ModerationConsole.Tests.Infrastructure;

/// <summary>Waits for something another process or thread does, failing with context when it does not happen in time.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, Func<string>? context = null, TimeSpan? within = null, TimeSpan? poll = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"The condition did not become true in time.{Environment.NewLine}{context?.Invoke()}");
            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(100));
        }
    }
}
