using Gitlab.Agent.Cilium.Alerts;
using Gitlab.Agent.TestUtilities;
using static Gitlab.Agent.Cilium.Tests.TestData;

namespace Gitlab.Agent.Cilium.Tests.Alerts;

public class AlertAggregatorTests
{
    private static readonly FingerprintKey Fp = Key("fp", 0);
    private readonly ManualTimeProvider _time = new();

    private static FingerprintKey Key(string name, int n) => new((ulong)name.Length, (ulong)name[0], (uint)n);
    private readonly AlertLossCounter _losses = new();

    private AlertAggregator Create(Action<CiliumAgentOptions>? configure = null)
    {
        var options = new CiliumAgentOptions { AggregationWindow = TimeSpan.FromSeconds(10), AlertBurstPerPolicy = 2, AlertsPerMinutePerPolicy = 6, MaxPendingAlerts = 100 };
        configure?.Invoke(options);
        return new AlertAggregator(options, _time, _losses);
    }

    [Fact]
    public void Repeats_within_the_window_become_one_alert_with_count_and_first_and_last_seen()
    {
        var aggregator = Create();
        var policy = Policy("db-ingress", DbIngressSpec);
        var flow = Flow("ingress-policy-denied.jsonl");
        var t0 = flow.Time.ToDateTimeOffset();
        aggregator.Add(Fp, policy, flow, t0.AddSeconds(1));
        aggregator.Add(Fp, policy, flow, t0);
        aggregator.Add(Fp, policy, flow, t0.AddSeconds(3));

        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.Empty(aggregator.TakeDue());

        _time.Advance(TimeSpan.FromSeconds(1));
        var alert = Assert.Single(aggregator.TakeDue());
        Assert.Equal(3, alert.Count);
        Assert.Equal(t0, alert.FirstSeen);
        Assert.Equal(t0.AddSeconds(3), alert.LastSeen);
        Assert.Same(policy, alert.Policy);
        Assert.Equal(0, aggregator.PendingCount);

        aggregator.Add(Fp, policy, flow, t0.AddSeconds(20));
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, Assert.Single(aggregator.TakeDue()).Count);
    }

    [Fact]
    public void Rate_limit_holds_alerts_back_per_policy_and_they_keep_counting()
    {
        var aggregator = Create();
        var limited = Policy("noisy", DbIngressSpec);
        var other = Policy("quiet", DbIngressSpec);
        var flow = Flow("ingress-policy-denied.jsonl");
        var t = flow.Time.ToDateTimeOffset();
        for (var i = 0; i < 4; i++)
        {
            aggregator.Add(Key("noisy", i), limited, flow, t);
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }

        aggregator.Add(Key("quiet", 0), other, flow, t);
        _time.Advance(TimeSpan.FromSeconds(10));

        var first = aggregator.TakeDue();
        Assert.Equal(new[] { Key("noisy", 0), Key("noisy", 1), Key("quiet", 0) }.Select(k => k.ToString()).Order(), first.Select(a => a.Fingerprint).Order());
        Assert.Equal(2, aggregator.RateLimited);

        aggregator.Add(Key("noisy", 2), limited, flow, t.AddSeconds(1));
        Assert.Empty(aggregator.TakeDue());

        // 6 per minute: one token every 10 s.
        _time.Advance(TimeSpan.FromSeconds(10));
        var second = Assert.Single(aggregator.TakeDue());
        Assert.Equal(Key("noisy", 2).ToString(), second.Fingerprint);
        Assert.Equal(2, second.Count);

        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(Key("noisy", 3).ToString(), Assert.Single(aggregator.TakeDue()).Fingerprint);
        Assert.Equal(0, _losses.Flows);
    }

    [Fact]
    public void New_alerts_beyond_the_pending_bound_are_dropped_and_counted()
    {
        var aggregator = Create(o => o.MaxPendingAlerts = 2);
        var policy = Policy("db-ingress", DbIngressSpec);
        var flow = Flow("ingress-policy-denied.jsonl");
        var t = flow.Time.ToDateTimeOffset();
        Assert.True(aggregator.Add(Key("a", 0), policy, flow, t));
        Assert.True(aggregator.Add(Key("b", 0), policy, flow, t));
        Assert.False(aggregator.Add(Key("c", 0), policy, flow, t));
        Assert.True(aggregator.Add(Key("a", 0), policy, flow, t));
        Assert.Equal(1, aggregator.OverflowFlows);
        Assert.Equal(1, _losses.Flows);
    }
}
