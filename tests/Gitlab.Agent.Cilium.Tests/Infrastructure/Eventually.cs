namespace Gitlab.Agent.Cilium.Tests.Infrastructure;

internal static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static Task WaitAsync(Func<bool> condition, string what, TimeSpan? timeout = null) => WaitAsync(condition, () => what, timeout);

    /// <summary>Like <see cref="WaitAsync(Func{bool}, string, TimeSpan?)"/>, with a description computed on failure (to show state).</summary>
    public static async Task WaitAsync(Func<bool> condition, Func<string> what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out after {timeout ?? DefaultTimeout} waiting for: {what()}");
            }

            await Task.Delay(20);
        }
    }
}
