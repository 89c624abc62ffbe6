using Gitlab.Agent.Protocol.Cilium.Flow;
using Gitlab.Agent.Protocol.Cilium.Observer;

namespace Gitlab.Agent.Testing.Hubble;

/// <summary>
/// Hubble's whitelist/blacklist semantics for the filter fields the test server supports: inside one filter every set
/// field must match, inside one field any value may match, and a flow passes when some whitelist filter (or an empty
/// whitelist) and no blacklist filter matches. Non-flow responses always pass.
/// </summary>
internal static class HubbleFlowFilter
{
    public static bool Passes(GetFlowsRequest request, GetFlowsResponse response)
    {
        if (response.Flow is not { } flow)
        {
            return true;
        }

        if (request.Whitelist.Count > 0 && !request.Whitelist.Any(f => Matches(f, flow)))
        {
            return false;
        }

        return !request.Blacklist.Any(f => Matches(f, flow));
    }

    private static bool Matches(FlowFilter filter, Flow flow)
    {
        if (filter.Verdict.Count > 0 && !filter.Verdict.Contains(flow.Verdict))
        {
            return false;
        }

        if (filter.TrafficDirection.Count > 0 && !filter.TrafficDirection.Contains(flow.TrafficDirection))
        {
            return false;
        }

        if (filter.DropReasonDesc.Count > 0 && !filter.DropReasonDesc.Contains(flow.DropReasonDesc))
        {
            return false;
        }

        if (filter.EventType.Count > 0 &&
            (flow.EventType is null || !filter.EventType.Any(e =>
                (e.Type == 0 || e.Type == flow.EventType.Type) && (!e.MatchSubType || e.SubType == flow.EventType.SubType))))
        {
            return false;
        }

        if (filter.SourcePod.Count > 0 && !filter.SourcePod.Any(p => PodMatches(p, flow.Source)))
        {
            return false;
        }

        if (filter.DestinationPod.Count > 0 && !filter.DestinationPod.Any(p => PodMatches(p, flow.Destination)))
        {
            return false;
        }

        return filter.NodeName.Count == 0 || filter.NodeName.Contains(flow.NodeName);
    }

    private static bool PodMatches(string pattern, Endpoint? endpoint)
    {
        if (endpoint is null)
        {
            return false;
        }

        var slash = pattern.IndexOf('/', StringComparison.Ordinal);
        var ns = slash < 0 ? string.Empty : pattern[..slash];
        var pod = slash < 0 ? pattern : pattern[(slash + 1)..];
        return (ns.Length == 0 || endpoint.Namespace == ns) && endpoint.PodName.StartsWith(pod, StringComparison.Ordinal);
    }
}
