namespace Gitlab.Agent.Cilium;

/// <summary>
/// Tuning of the agent half of Cilium alerts (<c>AddCilium()</c> on the agentk builder). The Hubble Relay address itself
/// comes from the agent configuration file (<c>cilium.hubble_relay_address</c>).
/// </summary>
public sealed class CiliumAgentOptions
{
    /// <summary>First delay before reconnecting to Hubble Relay after a stream ended or failed. Default 10 s.</summary>
    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Upper bound of the exponential reconnect backoff. Default 5 min.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Random extra delay as a fraction of the reconnect delay (0 to 1). Default 0.2.</summary>
    public double ReconnectJitter { get; set; } = 0.2;

    /// <summary>How many recently processed flow keys are kept to drop flows Hubble replays after a reconnect. Default 10,000.</summary>
    public int ResumeDeduplicationCapacity { get; set; } = 10_000;

    /// <summary>
    /// How long repeats of one alert (same fingerprint) are counted before the alert is sent. The alert carries the
    /// count and the first/last time seen. Default 10 s.
    /// </summary>
    public TimeSpan AggregationWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often due alerts are moved to the delivery queue. Default 1 s.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Maximum number of distinct alerts being aggregated; flows of further new alerts are dropped and counted. Default 10,000.</summary>
    public int MaxPendingAlerts { get; set; } = 10_000;

    /// <summary>Alerts one policy may send in a burst (token bucket capacity). Default 10.</summary>
    public int AlertBurstPerPolicy { get; set; } = 10;

    /// <summary>
    /// Sustained alerts per minute per policy (token bucket refill rate). Alerts over the limit are held back and keep
    /// counting repeats until a token is available. Default 6.
    /// </summary>
    public double AlertsPerMinutePerPolicy { get; set; } = 6;

    /// <summary>Capacity of the delivery queue; alerts beyond it are dropped, counted and reported with the next alert. Default 1,000.</summary>
    public int DeliveryQueueCapacity { get; set; } = 1_000;

    /// <summary>First retry delay when KAS cannot take an alert. Default 1 s.</summary>
    public TimeSpan DeliveryRetryInitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound of the exponential delivery retry backoff. Default 1 min.</summary>
    public TimeSpan DeliveryRetryMaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Timeout of one delivery attempt. Default 30 s.</summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Delay before listing CiliumNetworkPolicies again after the list or watch failed. Default 5 s.</summary>
    public TimeSpan PolicyRelistDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Server-side timeout of one policy watch request; the watch is then resumed. Default 5 min.</summary>
    public TimeSpan PolicyWatchTimeout { get; set; } = TimeSpan.FromMinutes(5);
}
