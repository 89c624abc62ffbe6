using Gitlab.Agent.Cilium.Policies;
using Gitlab.Agent.Protocol.Cilium.Flow;

namespace Gitlab.Agent.Cilium.Alerts;

/// <summary>
/// Counts repeats of alerts by fingerprint for <see cref="CiliumAgentOptions.AggregationWindow"/>, then releases them
/// subject to a per-policy token bucket. Alerts a bucket holds back stay pending and keep counting. Thread-safe.
/// </summary>
internal sealed class AlertAggregator
{
    private readonly Lock _lock = new();
    private readonly Dictionary<FingerprintKey, Pending> _pending = [];
    private readonly Dictionary<(string, string), TokenBucket> _buckets = [];
    private readonly CiliumAgentOptions _options;
    private readonly TimeProvider _time;
    private readonly AlertLossCounter _losses;
    private readonly List<Pending> _due = [];

    public AlertAggregator(CiliumAgentOptions options, TimeProvider time, AlertLossCounter losses)
    {
        _options = options;
        _time = time;
        _losses = losses;
    }

    /// <summary>Number of distinct alerts being aggregated.</summary>
    public int PendingCount
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Flows dropped because <see cref="CiliumAgentOptions.MaxPendingAlerts"/> distinct alerts were pending.</summary>
    public long OverflowFlows { get; private set; }

    /// <summary>Alerts the rate limit held back at least once.</summary>
    public long RateLimited { get; private set; }

    /// <summary>
    /// Counts one occurrence of alert <paramref name="fingerprint"/>. Returns <see langword="false"/> when the flow was
    /// dropped because too many distinct alerts are pending.
    /// </summary>
    public bool Add(FingerprintKey fingerprint, CiliumPolicy policy, Flow flow, DateTimeOffset flowTime)
    {
        lock (_lock)
        {
            if (_pending.TryGetValue(fingerprint, out var pending))
            {
                pending.Count++;
                if (flowTime > pending.LastSeen)
                {
                    pending.LastSeen = flowTime;
                }

                if (flowTime < pending.FirstSeen)
                {
                    pending.FirstSeen = flowTime;
                }

                return true;
            }

            if (_pending.Count >= _options.MaxPendingAlerts)
            {
                OverflowFlows++;
                _losses.Add(0, 1);
                return false;
            }

            _pending.Add(fingerprint, new Pending(fingerprint, policy, flow, flowTime, _time.GetTimestamp()));
            return true;
        }
    }

    /// <summary>Removes and returns the alerts whose window has ended and whose policy has a token, oldest first.</summary>
    public List<AlertToSend> TakeDue()
    {
        var result = new List<AlertToSend>();
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            _due.Clear();
            foreach (var pending in _pending.Values)
            {
                if (_time.GetElapsedTime(pending.OpenedAt, now) >= _options.AggregationWindow)
                {
                    _due.Add(pending);
                }
            }

            _due.Sort(static (a, b) => a.OpenedAt.CompareTo(b.OpenedAt));
            foreach (var pending in _due)
            {
                var key = (pending.Policy.Namespace, pending.Policy.Name);
                if (!_buckets.TryGetValue(key, out var bucket))
                {
                    bucket = new TokenBucket(_options.AlertBurstPerPolicy, _options.AlertsPerMinutePerPolicy / 60.0, now);
                    _buckets.Add(key, bucket);
                }

                if (!bucket.TryTake(now, _time))
                {
                    if (!pending.RateLimited)
                    {
                        pending.RateLimited = true;
                        RateLimited++;
                    }

                    continue;
                }

                _pending.Remove(pending.Fingerprint);
                result.Add(new AlertToSend(pending.Fingerprint.ToString(), pending.Policy, pending.Flow, pending.Count, pending.FirstSeen, pending.LastSeen));
            }

            _due.Clear();
        }

        return result;
    }

    private sealed class Pending(FingerprintKey fingerprint, CiliumPolicy policy, Flow flow, DateTimeOffset seen, long openedAt)
    {
        public FingerprintKey Fingerprint { get; } = fingerprint;

        public CiliumPolicy Policy { get; } = policy;

        public Flow Flow { get; } = flow;

        public long OpenedAt { get; } = openedAt;

        public long Count { get; set; } = 1;

        public DateTimeOffset FirstSeen { get; set; } = seen;

        public DateTimeOffset LastSeen { get; set; } = seen;

        public bool RateLimited { get; set; }
    }
}
