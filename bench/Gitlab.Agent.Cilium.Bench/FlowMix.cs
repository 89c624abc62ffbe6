using System.Text.Json;
using Gitlab.Agent.Cilium.Policies;
using Gitlab.Agent.Protocol.Cilium.Flow;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Gitlab.Agent.Cilium.Bench;

/// <summary>
/// A synthetic cluster: 20 namespaces, each with an annotated L3/L4 policy, an annotated L7 policy and an unannotated
/// one; and a stream mix shaped like a filtered Hubble feed (most flows are policy drops, repeats of a few hundred
/// distinct communications) plus the noise an unfiltered relay would add.
/// </summary>
internal static class FlowMix
{
    public const int Namespaces = 20;

    public static CiliumPolicySnapshot Policies()
    {
        var policies = new List<CiliumPolicy>();
        for (var n = 0; n < Namespaces; n++)
        {
            policies.Add(Parse($"ns{n}", "db-ingress", true, """
                {"endpointSelector":{"matchLabels":{"app":"db"}},
                 "ingress":[{"fromEndpoints":[{"matchLabels":{"app":"backend"}},{"matchExpressions":[{"key":"tier","operator":"In","values":["batch","ops"]}]}],
                             "toPorts":[{"ports":[{"port":"5432","protocol":"TCP"}]}]}]}
                """));
            policies.Add(Parse($"ns{n}", "api-l7", true, """
                {"endpointSelector":{"matchLabels":{"app":"api"}},
                 "ingress":[{"fromEndpoints":[{"matchLabels":{"app":"frontend"}}],
                             "toPorts":[{"ports":[{"port":"8080","protocol":"TCP"}],"rules":{"http":[{"method":"GET","path":"/api/v[0-9]+/.*"},{"method":"POST","path":"/api/v1/orders"}]}}]}]}
                """));
            policies.Add(Parse($"ns{n}", "web-egress", true, """
                {"endpointSelector":{"matchLabels":{"app":"web"}},"egress":[{"toEntities":["cluster"]},{"toCIDR":["198.51.100.0/24"],"toPorts":[{"ports":[{"port":"443"}]}]}]}
                """));
            policies.Add(Parse($"ns{n}", "quiet", false, """{"endpointSelector":{},"ingress":[{}]}"""));
        }

        return new CiliumPolicySnapshot(policies);
    }

    /// <summary>Serialized flows: <paramref name="distinct"/> distinct communications, each repeated with new time/ports/uuid.</summary>
    public static byte[][] Serialized(int count, int distinct, DateTimeOffset start)
    {
        var random = new Random(42);
        var result = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            var kind = i % 10;
            var identity = random.Next(distinct);
            var flow = kind switch
            {
                < 6 => PolicyDrop(identity),
                6 => L7Drop(identity),
                7 => EgressDrop(identity),
                8 => Forwarded(identity),
                _ => DatapathDrop(identity),
            };
            flow.Time = Timestamp.FromDateTimeOffset(start.AddTicks(i * 100L));
            flow.Uuid = Guid.NewGuid().ToString();
            flow.NodeName = $"node-{identity % 7}";
            if (flow.L4?.TCP is { } tcp)
            {
                tcp.SourcePort = (uint)random.Next(32768, 60999);
            }

            result[i] = flow.ToByteArray();
        }

        return result;
    }

    private static CiliumPolicy Parse(string ns, string name, bool alert, string spec)
    {
        var json = "{\"apiVersion\":\"cilium.io/v2\",\"kind\":\"CiliumNetworkPolicy\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"" + ns +
            "\",\"uid\":\"" + Guid.NewGuid() + "\",\"annotations\":{\"app.gitlab.com/alert\":\"" + (alert ? "true" : "false") + "\"}},\"spec\":" + spec + "}";
        using var document = JsonDocument.Parse(json);
        return CiliumPolicyParser.Parse(document.RootElement);
    }

    private static Endpoint Pod(string ns, string app, int instance, uint identity) => new()
    {
        ID = (uint)(1000 + instance),
        Identity = identity,
        Namespace = ns,
        PodName = $"{app}-{instance:D4}",
        Labels =
        {
            $"k8s:app={app}",
            "k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=" + ns,
            "k8s:io.cilium.k8s.policy.cluster=default",
            "k8s:io.cilium.k8s.policy.serviceaccount=" + app,
            "k8s:io.kubernetes.pod.namespace=" + ns,
        },
    };

    private static Flow Base(int identity, string fromApp, string toApp, uint port, TrafficDirection direction)
    {
        var ns = $"ns{identity % Namespaces}";
        return new Flow
        {
            Verdict = Verdict.Dropped,
            DropReason = 133,
            DropReasonDesc = DropReason.PolicyDenied,
            IP = new IP { Source = $"10.0.{identity % 250}.{identity % 200 + 2}", Destination = "10.1.0.20", IpVersion = IPVersion.Ipv4 },
            L4 = new Layer4 { TCP = new TCP { DestinationPort = port, Flags = new TCPFlags { SYN = true } } },
            Source = Pod(ns, fromApp, identity, 40000u + (uint)identity),
            Destination = Pod(ns, toApp, 0, 30000),
            Type = FlowType.L3L4,
            EventType = new CiliumEventType { Type = 5 },
            TrafficDirection = direction,
            Summary = "TCP Flags: SYN",
        };
    }

    private static Flow PolicyDrop(int identity) => Base(identity, "frontend", "db", 5432, TrafficDirection.Ingress);

    private static Flow EgressDrop(int identity)
    {
        var flow = Base(identity, "web", "world", 443, TrafficDirection.Egress);
        flow.Destination = new Endpoint { Identity = 2, Labels = { "reserved:world" } };
        flow.IP.Destination = $"203.0.113.{identity % 250}";
        return flow;
    }

    private static Flow L7Drop(int identity)
    {
        var flow = Base(identity, "frontend", "api", 8080, TrafficDirection.Ingress);
        flow.Type = FlowType.L7;
        flow.EventType = new CiliumEventType { Type = 129 };
        flow.DropReasonDesc = DropReason.Unknown;
        flow.DropReason = 0;
        flow.L7 = new Layer7
        {
            Type = L7FlowType.Request,
            Http = new HTTP { Method = identity % 2 == 0 ? "DELETE" : "GET", Url = $"http://api.svc:8080/admin/items/{identity % 13}?page=3", Protocol = "HTTP/1.1" },
        };
        return flow;
    }

    private static Flow Forwarded(int identity)
    {
        var flow = PolicyDrop(identity);
        flow.Verdict = Verdict.Forwarded;
        flow.DropReasonDesc = DropReason.Unknown;
        flow.DropReason = 0;
        return flow;
    }

    private static Flow DatapathDrop(int identity)
    {
        var flow = PolicyDrop(identity);
        flow.EventType = new CiliumEventType { Type = 1, SubType = 136 };
        flow.DropReasonDesc = DropReason.CtMissingTcpAckFlag;
        flow.DropReason = 136;
        return flow;
    }
}
