using Gitlab.Agent.Agentk.Configuration;

namespace Gitlab.Agent.Agentk.Tests.Configuration;

public class RetryBackoffTests
{
    private static readonly KasRetryOptions Defaults = new();

    [Fact]
    public void Without_jitter_delays_double_from_one_second_up_to_the_cap()
    {
        var backoff = new RetryBackoff(Defaults, () => 0.5);

        var delays = Enumerable.Range(0, 8).Select(_ => backoff.NextDelay().TotalSeconds).ToArray();

        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], delays);
    }

    [Fact]
    public void Jitter_spreads_delays_by_twenty_percent_but_never_above_the_cap()
    {
        var low = new RetryBackoff(Defaults, () => 0.0);
        var high = new RetryBackoff(Defaults, () => 1.0);

        Assert.Equal(0.8, low.NextDelay().TotalSeconds, 6);
        Assert.Equal(1.2, high.NextDelay().TotalSeconds, 6);
        for (var i = 0; i < 10; i++)
        {
            high.NextDelay();
        }

        Assert.Equal(30, high.NextDelay().TotalSeconds, 6);
    }

    [Fact]
    public void Reset_starts_again_from_the_initial_delay()
    {
        var backoff = new RetryBackoff(Defaults, () => 0.5);
        backoff.NextDelay();
        backoff.NextDelay();
        backoff.NextDelay();

        backoff.Reset();

        Assert.Equal(0, backoff.Failures);
        Assert.Equal(1, backoff.NextDelay().TotalSeconds);
    }

    [Fact]
    public void Slow_delay_is_the_cap()
    {
        var backoff = new RetryBackoff(Defaults, () => 0.5);

        Assert.Equal(30, backoff.SlowDelay().TotalSeconds);
        Assert.Equal(1, backoff.Failures);
    }

    [Fact]
    public void Real_random_jitter_stays_in_bounds()
    {
        var backoff = new RetryBackoff(Defaults);
        for (var i = 0; i < 200; i++)
        {
            var expected = Math.Min(Math.Pow(2, Math.Min(i, 10)), 30);
            var delay = backoff.NextDelay().TotalSeconds;
            Assert.InRange(delay, expected * 0.8 - 1e-9, Math.Min(expected * 1.2, 30) + 1e-9);
        }
    }
}
