using Gitlab.Agent.Cilium.Alerts;
using Gitlab.Agent.Protocol.Cilium.Flow;
using Google.Protobuf.WellKnownTypes;
using static Gitlab.Agent.Cilium.Tests.TestData;

namespace Gitlab.Agent.Cilium.Tests.Alerts;

public class AlertFingerprintTests
{
    private static string Fp(Flow flow, string policy = "db-ingress") => AlertFingerprint.Compute(flow, "prod", policy);

    [Fact]
    public void Repeats_with_other_time_uuid_node_source_port_and_tcp_flags_share_the_fingerprint()
    {
        var first = Flow("ingress-policy-denied.jsonl");
        var repeat = first.Clone();
        repeat.Time = Timestamp.FromDateTimeOffset(first.Time.ToDateTimeOffset().AddMinutes(5));
        repeat.Uuid = "other";
        repeat.NodeName = "node-b";
        repeat.L4.TCP.SourcePort = 60000;
        repeat.L4.TCP.Flags = new TCPFlags { ACK = true, RST = true };
        repeat.Summary = "TCP Flags: ACK, RST";
        repeat.Source.ID = 9;
        Assert.Equal(AlertFingerprint.Length, Fp(first).Length);
        Assert.Equal(Fp(first), Fp(repeat));
    }

    [Fact]
    public void Destination_port_peer_direction_and_policy_change_the_fingerprint()
    {
        var flow = Flow("ingress-policy-denied.jsonl");
        var fingerprints = new HashSet<string> { Fp(flow), Fp(flow, "other-policy") };

        var port = flow.Clone();
        port.L4.TCP.DestinationPort = 5433;
        fingerprints.Add(Fp(port));

        var peer = flow.Clone();
        peer.Source.PodName = "frontend-other";
        fingerprints.Add(Fp(peer));

        var udp = flow.Clone();
        udp.L4 = new Layer4 { UDP = new UDP { SourcePort = 1, DestinationPort = 5432 } };
        fingerprints.Add(Fp(udp));

        var reason = flow.Clone();
        reason.DropReasonDesc = DropReason.PolicyDeny;
        fingerprints.Add(Fp(reason));

        Assert.Equal(6, fingerprints.Count);
    }

    [Fact]
    public void Endpoints_without_pods_use_labels_in_any_order_and_address()
    {
        var flow = Flow("egress-policy-denied.jsonl");
        flow.Destination.Labels.Clear();
        flow.Destination.Labels.Add(["reserved:world", "cidr:203.0.113.0/24"]);
        var reordered = flow.Clone();
        reordered.Destination.Labels.Clear();
        reordered.Destination.Labels.Add(["cidr:203.0.113.0/24", "reserved:world"]);
        Assert.Equal(Fp(flow), Fp(reordered));

        var otherAddress = flow.Clone();
        otherAddress.IP.Destination = "203.0.113.10";
        Assert.NotEqual(Fp(flow), Fp(otherAddress));
    }

    [Fact]
    public void Http_query_is_ignored_but_path_and_method_count()
    {
        var flow = Flow("l7-http.jsonl");
        var otherQuery = flow.Clone();
        otherQuery.L7.Http.Url = "http://api.prod.svc:8080/admin/users?page=3";
        Assert.Equal(Fp(flow), Fp(otherQuery));

        var otherPath = flow.Clone();
        otherPath.L7.Http.Url = "http://api.prod.svc:8080/admin/groups";
        Assert.NotEqual(Fp(flow), Fp(otherPath));
    }

    [Fact]
    public void Flow_with_nothing_set_has_a_fingerprint()
    {
        Assert.Equal(AlertFingerprint.Length, Fp(new Flow()).Length);
    }
}
