namespace Gitlab.Agent.Cilium;

/// <summary>
/// One alert as KAS stores it: all reports of the same fingerprint from one agent merged (counts added, first/last seen
/// widened, latest payload kept).
/// </summary>
public sealed record CiliumAlert
{
    /// <summary>Agent that reported the alert.</summary>
    public required long AgentId { get; init; }

    /// <summary>Identity of the alert: policy plus the stable parts of the flow (40 hex characters when computed).</summary>
    public required string Fingerprint { get; init; }

    /// <summary>Namespace of the CiliumNetworkPolicy.</summary>
    public required string PolicyNamespace { get; init; }

    /// <summary>Name of the CiliumNetworkPolicy.</summary>
    public required string PolicyName { get; init; }

    /// <summary>Traffic direction as Hubble names it (<c>INGRESS</c>, <c>EGRESS</c>), or empty.</summary>
    public string TrafficDirection { get; init; } = string.Empty;

    /// <summary>Verdict as Hubble names it (normally <c>DROPPED</c>).</summary>
    public string Verdict { get; init; } = string.Empty;

    /// <summary>Drop reason as Hubble names it (<c>POLICY_DENIED</c>, <c>POLICY_DENY</c>), or empty for L7 drops.</summary>
    public string DropReason { get; init; } = string.Empty;

    /// <summary>Source of the flow: <c>namespace/pod</c>, else the IP address.</summary>
    public string Source { get; init; } = string.Empty;

    /// <summary>Destination of the flow: <c>namespace/pod</c>, else the IP address.</summary>
    public string Destination { get; init; } = string.Empty;

    /// <summary>Number of dropped flows this alert stands for.</summary>
    public long Count { get; init; }

    /// <summary>Alerts the agent had to drop (queue full) and reported with this alert, summed over reports.</summary>
    public long DroppedAlerts { get; init; }

    /// <summary>Flows of the dropped alerts, summed over reports.</summary>
    public long DroppedFlows { get; init; }

    /// <summary>Number of reports merged into this alert.</summary>
    public long Reports { get; init; }

    /// <summary>Time of the first flow.</summary>
    public DateTimeOffset FirstSeen { get; init; }

    /// <summary>Time of the last flow.</summary>
    public DateTimeOffset LastSeen { get; init; }

    /// <summary>When KAS received the latest report.</summary>
    public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>The latest report's <c>alert</c> object as JSON (flow, ciliumNetworkPolicy and the counters).</summary>
    public string Payload { get; init; } = "{}";
}
