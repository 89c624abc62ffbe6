namespace Gitlab.Agent.Agentk.Configuration;

/// <summary>
/// Exponential backoff with jitter: <c>InitialDelay × Factor^n</c>, capped at <c>MaxDelay</c>, each delay spread by
/// ±<c>JitterFraction</c> (never above the cap). Not thread-safe: one instance per retry loop.
/// </summary>
internal sealed class RetryBackoff(KasRetryOptions options, Func<double>? random = null)
{
    private readonly Func<double> _random = random ?? Random.Shared.NextDouble;
    private int _failures;

    /// <summary>Number of consecutive failures since the last <see cref="Reset"/>.</summary>
    public int Failures => _failures;

    /// <summary>Delay before the next attempt after one more failure.</summary>
    public TimeSpan NextDelay()
    {
        var exponent = Math.Min(_failures, 62);
        _failures++;
        var baseTicks = options.InitialDelay.Ticks * Math.Pow(options.Factor, exponent);
        return Jitter(Math.Min(baseTicks, options.MaxDelay.Ticks));
    }

    /// <summary>Delay after a failure that will not fix itself soon (for example a revoked token): the cap.</summary>
    public TimeSpan SlowDelay()
    {
        _failures++;
        return Jitter(options.MaxDelay.Ticks);
    }

    /// <summary>Starts again from <c>InitialDelay</c> (after a healthy period).</summary>
    public void Reset() => _failures = 0;

    private TimeSpan Jitter(double ticks)
    {
        var spread = 1 - options.JitterFraction + (2 * options.JitterFraction * _random());
        return TimeSpan.FromTicks((long)Math.Min(ticks * spread, options.MaxDelay.Ticks));
    }
}
