namespace Gitlab.Agent.Tunnel.Internal;

/// <summary>Exponential backoff with jitter (initial 1 s, max 20 s, factor 1.6, jitter 0.2 by default), as agentk's tunnels use.</summary>
internal sealed class ExponentialBackoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private readonly double _factor;
    private readonly double _jitter;
    private TimeSpan _next;

    public ExponentialBackoff(TimeSpan initial, TimeSpan max, double factor, double jitter)
    {
        _initial = initial;
        _max = max;
        _factor = factor;
        _jitter = jitter;
        _next = initial;
    }

    public static ExponentialBackoff ForTunnels() => new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20), 1.6, 0.2);

    /// <summary>Returns the next delay and grows the following one.</summary>
    public TimeSpan Next()
    {
        var current = _next;
        var grown = TimeSpan.FromTicks((long)(current.Ticks * _factor));
        _next = grown > _max ? _max : grown;
        var spread = current.Ticks * _jitter;
        return TimeSpan.FromTicks((long)(current.Ticks + ((Random.Shared.NextDouble() * 2) - 1) * spread));
    }

    public void Reset() => _next = _initial;
}
