namespace Gitlab.Agent.Agentk.Configuration;

/// <summary>Retry timings for the long-lived calls to KAS (configuration stream, registration).</summary>
internal sealed class KasRetryOptions
{
    /// <summary>First delay after a failure.</summary>
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Multiplier applied after every consecutive failure.</summary>
    public double Factor { get; set; } = 2;

    /// <summary>Largest delay; also the delay used after <c>Unauthenticated</c>.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Random spread applied to every delay: ±this fraction.</summary>
    public double JitterFraction { get; set; } = 0.2;

    /// <summary>A stream open at least this long counts as healthy and resets the backoff.</summary>
    public TimeSpan HealthyPeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A stream that ends normally sooner than this, having delivered nothing, is retried with backoff instead of at once.</summary>
    public TimeSpan MinimumStreamDuration { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long agentk waits for the Kubernetes API server's version before connecting without it.</summary>
    public TimeSpan KubernetesVersionTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
