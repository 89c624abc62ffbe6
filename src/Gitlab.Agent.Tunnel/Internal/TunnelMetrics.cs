using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Gitlab.Agent.Tunnel.Internal;

/// <summary>Instruments of the <c>Gitlab.Agent.Tunnel</c> meter.</summary>
internal sealed class TunnelMetrics : IDisposable
{
    public const string MeterName = "Gitlab.Agent.Tunnel";

    private readonly Meter _meter;
    private readonly ConcurrentDictionary<long, StrongBox> _openTunnels = new();

    public TunnelMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(new MeterOptions(MeterName));
        _meter.CreateObservableUpDownCounter(
            "gitlab_agent.tunnel.open",
            ObserveOpenTunnels,
            unit: "{tunnel}",
            description: "Tunnel streams parked at this KAS, per agent (idle and in use).");
        RequestsRouted = _meter.CreateCounter<long>("gitlab_agent.tunnel.requests", "{request}", "Calls routed to an agent through a tunnel.");
        RoutingFailures = _meter.CreateCounter<long>("gitlab_agent.tunnel.routing_failures", "{request}", "Calls that found no tunnel in time or whose tunnel broke.");
        BytesToAgent = _meter.CreateCounter<long>("gitlab_agent.tunnel.bytes_to_agent", "By", "Payload bytes sent to agents through tunnels.");
        BytesFromAgent = _meter.CreateCounter<long>("gitlab_agent.tunnel.bytes_from_agent", "By", "Payload bytes received from agents through tunnels.");
        ProxyRequests = _meter.CreateCounter<long>("gitlab_agent.k8s_proxy.requests", "{request}", "Kubernetes API proxy requests by outcome.");
        AgentConnections = _meter.CreateUpDownCounter<long>("gitlab_agent.tunnel.agent_connections", "{stream}", "Tunnel streams this agent holds open to KAS.");
        AgentRequests = _meter.CreateCounter<long>("gitlab_agent.tunnel.agent_requests", "{request}", "Requests served by this agent through tunnels.");
    }

    public Counter<long> RequestsRouted { get; }

    public Counter<long> RoutingFailures { get; }

    public Counter<long> BytesToAgent { get; }

    public Counter<long> BytesFromAgent { get; }

    public Counter<long> ProxyRequests { get; }

    public UpDownCounter<long> AgentConnections { get; }

    public Counter<long> AgentRequests { get; }

    public void TunnelOpened(long agentId) => Interlocked.Increment(ref _openTunnels.GetOrAdd(agentId, _ => new StrongBox()).Value);

    public void TunnelClosed(long agentId)
    {
        if (_openTunnels.TryGetValue(agentId, out var box))
        {
            Interlocked.Decrement(ref box.Value);
        }
    }

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<long>> ObserveOpenTunnels()
    {
        foreach (var (agentId, box) in _openTunnels)
        {
            yield return new Measurement<long>(Volatile.Read(ref box.Value), new KeyValuePair<string, object?>("agent_id", agentId));
        }
    }

    private sealed class StrongBox
    {
        public long Value;
    }
}
