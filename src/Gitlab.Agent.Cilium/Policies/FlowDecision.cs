namespace Gitlab.Agent.Cilium.Policies;

/// <summary>Why a flow does or does not become an alert.</summary>
internal enum FlowDecision
{
    /// <summary>Dropped by an alert-enabled policy.</summary>
    Alert,

    /// <summary>The verdict is not DROPPED (forwarded, audit, redirected, unknown ...).</summary>
    NotDropped,

    /// <summary>Dropped, but not by a policy decision (datapath drops, drop events, unknown event types).</summary>
    NotPolicyDrop,

    /// <summary>The traffic direction is neither INGRESS nor EGRESS.</summary>
    UnknownDirection,

    /// <summary>The endpoint the policy would protect is missing from the flow.</summary>
    MissingEndpoint,

    /// <summary>No alert-enabled policy explains the drop.</summary>
    NoAlertPolicy,
}

/// <summary>The outcome of matching one flow.</summary>
internal readonly record struct FlowMatch(FlowDecision Decision, CiliumPolicy? Policy)
{
    public static FlowMatch Ignore(FlowDecision decision) => new(decision, null);
}
