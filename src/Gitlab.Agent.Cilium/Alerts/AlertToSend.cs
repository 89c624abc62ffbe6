using Gitlab.Agent.Cilium.Policies;
using Gitlab.Agent.Protocol.Cilium.Flow;

namespace Gitlab.Agent.Cilium.Alerts;

/// <summary>An aggregated alert ready for delivery: the first flow, its policy and how often it repeated.</summary>
internal sealed record AlertToSend(
    string Fingerprint,
    CiliumPolicy Policy,
    Flow Flow,
    long Count,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen);
