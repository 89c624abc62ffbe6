using System.Net;
using Gitlab.Agent.Protocol.Cilium.Flow;

namespace Gitlab.Agent.Cilium.Policies;

/// <summary>
/// Decides whether a Hubble flow was dropped by an alert-enabled CiliumNetworkPolicy and by which one.
/// </summary>
/// <remarks>
/// Only DROPPED policy-verdict events (type 5) and L7 access-log events (type 129) qualify; drop events (type 1) are
/// ignored because Cilium reports every policy drop as a policy-verdict event as well. When Hubble names the denying
/// policies (<c>ingress_denied_by</c>/<c>egress_denied_by</c>) they decide. Otherwise the policies of the protected
/// endpoint's namespace (destination for ingress, source for egress) are evaluated: a policy is responsible when one of
/// its rules selects the endpoint for that direction and either a deny rule matches the peer and port, or (for a
/// default-deny drop) none of its allow rules admits the peer and port. For L7 HTTP drops a policy is responsible
/// when its HTTP rules for the peer and port exist and none matches the request.
/// </remarks>
internal static class FlowPolicyMatcher
{
    public const int EventTypeDrop = 1;
    public const int EventTypePolicyVerdict = 5;
    public const int EventTypeAccessLog = 129;

    /// <summary>Matches <paramref name="flow"/> against the alert-enabled policies in <paramref name="snapshot"/>.</summary>
    public static FlowMatch Match(Flow flow, CiliumPolicySnapshot snapshot, long projectId)
    {
        if (flow.Verdict != Verdict.Dropped)
        {
            return FlowMatch.Ignore(FlowDecision.NotDropped);
        }

        var reason = flow.DropReasonDesc != DropReason.Unknown ? (int)flow.DropReasonDesc : (int)flow.DropReason;
        var eventType = flow.EventType?.Type ?? -1;
        bool isL7;
        if (eventType == EventTypeAccessLog || (eventType < 0 && flow.Type == FlowType.L7))
        {
            isL7 = true;
        }
        else if (eventType == EventTypePolicyVerdict || (eventType < 0 && IsPolicyReason(reason)))
        {
            if (reason != 0 && !IsPolicyReason(reason))
            {
                return FlowMatch.Ignore(FlowDecision.NotPolicyDrop);
            }

            isL7 = false;
        }
        else
        {
            return FlowMatch.Ignore(FlowDecision.NotPolicyDrop);
        }

        bool ingress;
        switch (flow.TrafficDirection)
        {
            case TrafficDirection.Ingress:
                ingress = true;
                break;
            case TrafficDirection.Egress:
                ingress = false;
                break;
            default:
                return FlowMatch.Ignore(FlowDecision.UnknownDirection);
        }

        var protectedEndpoint = ingress ? flow.Destination : flow.Source;
        if (protectedEndpoint is null)
        {
            return FlowMatch.Ignore(FlowDecision.MissingEndpoint);
        }

        var deniedBy = ingress ? flow.IngressDeniedBy : flow.EgressDeniedBy;
        if (deniedBy.Count > 0)
        {
            return MatchDeniedBy(deniedBy, snapshot, projectId);
        }

        var protectedLabels = EndpointLabels.From(protectedEndpoint);
        if (protectedLabels.Namespace.Length == 0)
        {
            return FlowMatch.Ignore(FlowDecision.NoAlertPolicy);
        }

        var candidates = snapshot.InNamespace(protectedLabels.Namespace);
        if (candidates.Count == 0)
        {
            return FlowMatch.Ignore(FlowDecision.NoAlertPolicy);
        }

        var context = new FlowContext(flow, ingress, protectedLabels, reason);
        for (var i = 0; i < candidates.Count; i++)
        {
            var policy = candidates[i];
            if (policy.BelongsTo(projectId) && (isL7 ? DeniesL7(policy, ref context) : DeniesL3L4(policy, ref context)))
            {
                return new FlowMatch(FlowDecision.Alert, policy);
            }
        }

        return FlowMatch.Ignore(FlowDecision.NoAlertPolicy);
    }

    private static bool IsPolicyReason(int reason) => reason is (int)DropReason.PolicyDenied or (int)DropReason.PolicyDeny;

    private static FlowMatch MatchDeniedBy(IEnumerable<Policy> deniedBy, CiliumPolicySnapshot snapshot, long projectId)
    {
        foreach (var denying in deniedBy)
        {
            if (denying.Kind.Length > 0 && denying.Kind != "CiliumNetworkPolicy")
            {
                continue;
            }

            var (ns, name) = (denying.Namespace, denying.Name);
            foreach (var label in denying.Labels)
            {
                var parsed = CiliumLabel.Parse(label);
                if (ns.Length == 0 && parsed.Key == "io.cilium.k8s.policy.namespace")
                {
                    ns = parsed.Value;
                }
                else if (name.Length == 0 && parsed.Key == "io.cilium.k8s.policy.name")
                {
                    name = parsed.Value;
                }
            }

            var policy = snapshot.Find(ns, name);
            if (policy is not null && policy.BelongsTo(projectId))
            {
                return new FlowMatch(FlowDecision.Alert, policy);
            }
        }

        return FlowMatch.Ignore(FlowDecision.NoAlertPolicy);
    }

    private static bool DeniesL3L4(CiliumPolicy policy, ref FlowContext context)
    {
        var selected = false;
        var allowed = false;
        foreach (var rule in policy.Rules)
        {
            var direction = context.Ingress ? rule.Ingress : rule.Egress;
            if (direction is null || !rule.EndpointSelector.Matches(context.Protected))
            {
                continue;
            }

            selected = true;
            foreach (var deny in direction.Deny)
            {
                if (context.PeerMatches(deny) && context.PortMatches(deny))
                {
                    return true;
                }
            }

            if (!allowed)
            {
                foreach (var allow in direction.Allow)
                {
                    if (context.PeerMatches(allow) && context.PortMatches(allow))
                    {
                        allowed = true;
                        break;
                    }
                }
            }
        }

        // An explicit-deny drop (POLICY_DENY) is only this policy's doing when one of its deny rules matched above.
        return selected && !allowed && context.Reason != (int)DropReason.PolicyDeny;
    }

    private static bool DeniesL7(CiliumPolicy policy, ref FlowContext context)
    {
        var l7 = context.Flow.L7;
        if (l7 is null || (l7.Http is null && l7.Dns is null))
        {
            return false;
        }

        var sawRules = false;
        foreach (var rule in policy.Rules)
        {
            var direction = context.Ingress ? rule.Ingress : rule.Egress;
            if (direction is null || !rule.EndpointSelector.Matches(context.Protected))
            {
                continue;
            }

            foreach (var allow in direction.Allow)
            {
                if (!context.PeerMatches(allow))
                {
                    continue;
                }

                foreach (var port in allow.ToPorts)
                {
                    if (!port.MatchesPort(context.Protocol, context.Port))
                    {
                        continue;
                    }

                    if (l7.Http is not null && port.Http.Length > 0)
                    {
                        sawRules = true;
                        if (HttpMatcher.MatchesAny(port.Http, l7.Http))
                        {
                            return false;
                        }
                    }
                    else if (l7.Dns is not null && port.Dns.Length > 0)
                    {
                        sawRules = true;
                        foreach (var dns in port.Dns)
                        {
                            if (dns.Matches(l7.Dns.Query))
                            {
                                return false;
                            }
                        }
                    }
                }
            }
        }

        return sawRules;
    }

    /// <summary>The per-flow facts the rule evaluation needs, computed lazily.</summary>
    private struct FlowContext
    {
        private EndpointLabels _peer;
        private bool _peerParsed;
        private IPAddress? _peerAddress;
        private bool _peerAddressParsed;

        public FlowContext(Flow flow, bool ingress, EndpointLabels protectedLabels, int reason)
        {
            Flow = flow;
            Ingress = ingress;
            Protected = protectedLabels;
            Reason = reason;
            (Protocol, Port, Icmp) = flow.L4?.ProtocolCase switch
            {
                Layer4.ProtocolOneofCase.TCP => (L4Protocol.Tcp, flow.L4.TCP.DestinationPort, null),
                Layer4.ProtocolOneofCase.UDP => (L4Protocol.Udp, flow.L4.UDP.DestinationPort, null),
                Layer4.ProtocolOneofCase.SCTP => (L4Protocol.Sctp, flow.L4.SCTP.DestinationPort, null),
                Layer4.ProtocolOneofCase.ICMPv4 => (L4Protocol.Any, 0u, ((uint, bool)?)(flow.L4.ICMPv4.Type, false)),
                Layer4.ProtocolOneofCase.ICMPv6 => (L4Protocol.Any, 0u, ((uint, bool)?)(flow.L4.ICMPv6.Type, true)),
                _ => (L4Protocol.Any, 0u, null),
            };
        }

        public Flow Flow { get; }

        public bool Ingress { get; }

        public EndpointLabels Protected { get; }

        public int Reason { get; }

        public L4Protocol Protocol { get; }

        public uint Port { get; }

        public (uint Type, bool IPv6)? Icmp { get; }

        private EndpointLabels Peer
        {
            get
            {
                if (!_peerParsed)
                {
                    _peer = EndpointLabels.From(Ingress ? Flow.Source : Flow.Destination);
                    _peerParsed = true;
                }

                return _peer;
            }
        }

        public bool PortMatches(PeerRule rule)
        {
            if (!rule.HasPortRules)
            {
                return true;
            }

            foreach (var port in rule.ToPorts)
            {
                if (port.MatchesPort(Protocol, Port))
                {
                    return true;
                }
            }

            if (Icmp is { } icmp)
            {
                foreach (var rule1 in rule.Icmps)
                {
                    if (rule1.IPv6 == icmp.IPv6 && (rule1.Type is null || rule1.Type == icmp.Type))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        public bool PeerMatches(PeerRule rule)
        {
            if (!rule.HasPeerSelectors)
            {
                return true;
            }

            foreach (var selector in rule.Endpoints)
            {
                if (selector.Matches(Peer))
                {
                    return true;
                }
            }

            foreach (var entity in rule.Entities)
            {
                if (EntityMatches(entity))
                {
                    return true;
                }
            }

            if (rule.Cidrs.Length > 0 && PeerAddress() is { } address)
            {
                foreach (var cidr in rule.Cidrs)
                {
                    if (cidr.Contains(address))
                    {
                        return true;
                    }
                }
            }

            if (rule.Fqdns.Length > 0)
            {
                foreach (var name in Flow.DestinationNames)
                {
                    foreach (var fqdn in rule.Fqdns)
                    {
                        if (fqdn.Matches(name))
                        {
                            return true;
                        }
                    }
                }
            }

            return false;
        }

        private bool EntityMatches(string entity)
        {
            var peer = Peer;
            return entity switch
            {
                "all" => true,
                "world" => peer.HasReserved("world") || peer.HasReserved("world-ipv4") || peer.HasReserved("world-ipv6"),
                "world-ipv4" => peer.HasReserved("world-ipv4") || peer.HasReserved("world"),
                "world-ipv6" => peer.HasReserved("world-ipv6") || peer.HasReserved("world"),
                "cluster" => peer.Labels.Count > 0 && !(peer.HasReserved("world") || peer.HasReserved("world-ipv4") || peer.HasReserved("world-ipv6")),
                _ => peer.HasReserved(entity),
            };
        }

        private IPAddress? PeerAddress()
        {
            if (!_peerAddressParsed)
            {
                _peerAddressParsed = true;
                var text = Ingress ? Flow.IP?.Source : Flow.IP?.Destination;
                _peerAddress = text is not null && IPAddress.TryParse(text, out var address) ? address : null;
            }

            return _peerAddress;
        }
    }
}
