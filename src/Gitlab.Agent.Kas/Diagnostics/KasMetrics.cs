using System.Diagnostics.Metrics;

namespace Gitlab.Agent.Kas.Diagnostics;

/// <summary>Metrics of the KAS runtime (meter <c>Gitlab.Agent.Kas</c>), exported on the observability listener's <c>/metrics</c>.</summary>
internal sealed class KasMetrics : IDisposable
{
    public const string MeterName = "Gitlab.Agent.Kas";
    private readonly Meter _meter;
    private readonly Counter<long> _configurationsSent;
    private readonly Counter<long> _authenticationFailures;
    private readonly Counter<long> _pushNotifications;
    private long _connectedAgents;

    public KasMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(new MeterOptions(MeterName) { Version = KasVersion.Current });
        _meter.CreateObservableGauge("kas_connected_agents", () => Interlocked.Read(ref _connectedAgents), "{connection}",
            "Open agent configuration streams on this KAS.");
        _configurationsSent = _meter.CreateCounter<long>("kas_configurations_sent", "{message}", "Agent configurations sent to agents.");
        _authenticationFailures = _meter.CreateCounter<long>("kas_authentication_failures", "{call}", "Agent calls refused: bad or revoked token, or rate limit.");
        _pushNotifications = _meter.CreateCounter<long>("kas_push_notifications", "{notification}", "Push notifications received on the API listener.");
    }

    public long ConnectedAgents => Interlocked.Read(ref _connectedAgents);

    public void AgentConnected() => Interlocked.Increment(ref _connectedAgents);

    public void AgentDisconnected() => Interlocked.Decrement(ref _connectedAgents);

    public void ConfigurationSent() => _configurationsSent.Add(1);

    public void AuthenticationFailed(string reason) => _authenticationFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void PushNotificationReceived(string source) => _pushNotifications.Add(1, new KeyValuePair<string, object?>("source", source));

    public void Dispose() => _meter.Dispose();
}
