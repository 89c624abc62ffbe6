namespace Gitlab.Agent.GitOps.Agent;

/// <summary>Exponential backoff (factor 2, ±20 % jitter) between an initial and a maximum delay. Not thread-safe.</summary>
internal sealed class Backoff(TimeSpan initial, TimeSpan max)
{
    private int _failures;

    public TimeSpan Next()
    {
        var ticks = Math.Min(initial.Ticks * Math.Pow(2, Math.Min(_failures, 30)), max.Ticks);
        _failures++;
        var jitter = 0.8 + (0.4 * Random.Shared.NextDouble());
        return TimeSpan.FromTicks((long)Math.Min(ticks * jitter, max.Ticks));
    }

    public void Reset() => _failures = 0;
}
