namespace Gitlab.Agent.TestUtilities;

/// <summary>Waits for a condition that becomes true asynchronously.</summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it is true; fails after <paramref name="timeout"/> (30 s by default).</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string description, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting until {description}");
            }

            await Task.Delay(25);
        }
    }
}
