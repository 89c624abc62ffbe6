namespace Gitlab.Agent.Testing.Tests.Infrastructure;

/// <summary>Polls a condition with a generous timeout (tests run on a loaded 2-core machine).</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new Xunit.Sdk.XunitException($"timed out waiting for: {what}");
    }
}
