namespace Gitlab.Agent.TestUtilities;

/// <summary>Waits for a condition that becomes true asynchronously (generous timeouts: tests run on loaded machines).</summary>
public static class Eventually
{
    /// <summary>Timeout when none is given.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Polls <paramref name="condition"/> until it is true; fails after <paramref name="timeout"/> (30 s by default).</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string description, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting until {description}");
            }

            await Task.Delay(25);
        }
    }

    /// <summary>Polls a synchronous <paramref name="condition"/>; fails naming <paramref name="what"/>.</summary>
    public static Task WaitAsync(Func<bool> condition, string what, TimeSpan? timeout = null) => WaitAsync(condition, () => what, timeout);

    /// <summary>Like <see cref="WaitAsync(Func{bool}, string, TimeSpan?)"/>, with a description computed on failure (to show state).</summary>
    public static async Task WaitAsync(Func<bool> condition, Func<string> what, TimeSpan? timeout = null)
    {
        try
        {
            await TrueAsync(() => Task.FromResult(condition()), string.Empty, timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"timed out after {timeout ?? DefaultTimeout} waiting for: {what()}");
        }
    }
}
