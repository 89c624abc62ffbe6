namespace Gitlab.Agent.Cilium.Alerts;

/// <summary>A token bucket: up to <c>capacity</c> tokens, refilled continuously at <c>tokensPerSecond</c>. Not thread-safe.</summary>
internal sealed class TokenBucket
{
    private readonly double _capacity;
    private readonly double _tokensPerSecond;
    private double _tokens;
    private long _lastRefill;

    public TokenBucket(double capacity, double tokensPerSecond, long nowTimestamp)
    {
        _capacity = capacity;
        _tokensPerSecond = tokensPerSecond;
        _tokens = capacity;
        _lastRefill = nowTimestamp;
    }

    /// <summary>Takes one token if available at <paramref name="nowTimestamp"/> (a <see cref="TimeProvider"/> timestamp).</summary>
    public bool TryTake(long nowTimestamp, TimeProvider time)
    {
        var elapsed = time.GetElapsedTime(_lastRefill, nowTimestamp);
        if (elapsed > TimeSpan.Zero)
        {
            _tokens = Math.Min(_capacity, _tokens + (elapsed.TotalSeconds * _tokensPerSecond));
            _lastRefill = nowTimestamp;
        }

        if (_tokens >= 1)
        {
            _tokens -= 1;
            return true;
        }

        return false;
    }
}
