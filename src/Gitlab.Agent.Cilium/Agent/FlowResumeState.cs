using Gitlab.Agent.Protocol.Cilium.Flow;
using Google.Protobuf.WellKnownTypes;

namespace Gitlab.Agent.Cilium.Agent;

/// <summary>
/// Where to resume the Hubble stream after a reconnect (the time of the newest flow received) and which recent flows
/// were already processed, so flows Hubble sends again are dropped. A flow is identified by its time plus its uuid, or
/// when it has none, by node, endpoints, addresses, ports and event type. Not thread-safe.
/// </summary>
internal sealed class FlowResumeState
{
    private readonly int _capacity;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    public FlowResumeState(int capacity) => _capacity = capacity;

    /// <summary>Time of the newest flow processed, or <see langword="null"/> before the first one.</summary>
    public Timestamp? LastTime { get; private set; }

    /// <summary>
    /// Returns <see langword="true"/> and remembers the flow when it is new; <see langword="false"/> when it was processed
    /// already or is older than <paramref name="since"/> (the lower bound this stream asked for).
    /// </summary>
    public bool TryAccept(Flow flow, Timestamp? time, Timestamp? since)
    {
        if (time is null)
        {
            // Without a time a flow cannot be replayed by a "since" request; accept it.
            return true;
        }

        if (since is not null && time < since)
        {
            return false;
        }

        var key = KeyOf(flow, time);
        if (!_seen.Add(key))
        {
            return false;
        }

        _order.Enqueue(key);
        if (_order.Count > _capacity)
        {
            _seen.Remove(_order.Dequeue());
        }

        if (LastTime is null || time > LastTime)
        {
            LastTime = time;
        }

        return true;
    }

    private static string KeyOf(Flow flow, Timestamp time)
    {
        if (flow.Uuid.Length > 0)
        {
            return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{time.Seconds}.{time.Nanos}|{flow.Uuid}");
        }

        var (sourcePort, destinationPort) = flow.L4?.ProtocolCase switch
        {
            Layer4.ProtocolOneofCase.TCP => (flow.L4.TCP.SourcePort, flow.L4.TCP.DestinationPort),
            Layer4.ProtocolOneofCase.UDP => (flow.L4.UDP.SourcePort, flow.L4.UDP.DestinationPort),
            Layer4.ProtocolOneofCase.SCTP => (flow.L4.SCTP.SourcePort, flow.L4.SCTP.DestinationPort),
            _ => (0u, 0u),
        };
        return string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"{time.Seconds}.{time.Nanos}|{flow.NodeName}|{flow.Source?.Identity}/{flow.Source?.PodName}|{flow.Destination?.Identity}/{flow.Destination?.PodName}|{flow.IP?.Source}:{sourcePort}|{flow.IP?.Destination}:{destinationPort}|{flow.EventType?.Type}/{flow.EventType?.SubType}|{(int)flow.Verdict}|{(int)flow.TrafficDirection}|{flow.L7?.Http?.Url}");
    }
}
