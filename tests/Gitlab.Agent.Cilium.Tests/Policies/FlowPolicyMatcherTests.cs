using Gitlab.Agent.Cilium.Policies;
using Gitlab.Agent.Protocol.Cilium.Flow;
using static Gitlab.Agent.Cilium.Tests.TestData;

namespace Gitlab.Agent.Cilium.Tests.Policies;

public class FlowPolicyMatcherTests
{
    private static FlowMatch Match(Flow flow, params CiliumPolicy[] policies) => FlowPolicyMatcher.Match(flow, Snapshot(policies), projectId: 42);

    [Fact]
    public void Ingress_drop_to_endpoint_selected_by_annotated_policy_alerts_with_that_policy()
    {
        var policy = Policy("db-ingress", DbIngressSpec);
        var result = Match(Flow("ingress-policy-denied.jsonl"), Policy("other", """{"endpointSelector":{"matchLabels":{"app":"web"}},"ingress":[{}]}"""), policy);
        Assert.Equal(FlowDecision.Alert, result.Decision);
        Assert.Same(policy, result.Policy);
    }

    [Fact]
    public void Unannotated_policy_does_not_alert()
    {
        var result = Match(Flow("ingress-policy-denied.jsonl"), Policy("db-ingress", DbIngressSpec, alert: false));
        Assert.Equal(FlowDecision.NoAlertPolicy, result.Decision);
    }

    [Fact]
    public void Policy_of_another_namespace_does_not_alert()
    {
        var result = Match(Flow("ingress-policy-denied.jsonl"), Policy("db-ingress", DbIngressSpec, ns: "staging"));
        Assert.Equal(FlowDecision.NoAlertPolicy, result.Decision);
    }

    [Fact]
    public void Policy_labelled_for_another_project_does_not_alert_but_own_project_does()
    {
        Assert.Equal(FlowDecision.NoAlertPolicy, Match(Flow("ingress-policy-denied.jsonl"), Policy("db-ingress", DbIngressSpec, project: "7")).Decision);
        Assert.Equal(FlowDecision.Alert, Match(Flow("ingress-policy-denied.jsonl"), Policy("db-ingress", DbIngressSpec, project: "42")).Decision);
    }

    [Fact]
    public void Policy_that_allows_the_peer_and_port_is_not_blamed()
    {
        var spec = DbIngressSpec.Replace("\"backend\"", "\"frontend\"", StringComparison.Ordinal);
        Assert.Equal(FlowDecision.NoAlertPolicy, Match(Flow("ingress-policy-denied.jsonl"), Policy("db-ingress", spec)).Decision);
    }

    [Fact]
    public void Policy_that_allows_the_peer_on_another_port_is_blamed()
    {
        var spec = DbIngressSpec.Replace("\"backend\"", "\"frontend\"", StringComparison.Ordinal).Replace("5432", "5433", StringComparison.Ordinal);
        Assert.Equal(FlowDecision.Alert, Match(Flow("ingress-policy-denied.jsonl"), Policy("db-ingress", spec)).Decision);
    }

    [Theory]
    [InlineData("""{"matchLabels":{"app":"db"}}""", true)]
    [InlineData("""{"matchLabels":{"k8s:app":"db"}}""", true)]
    [InlineData("""{"matchLabels":{"any:app":"db"}}""", true)]
    [InlineData("""{"matchLabels":{"reserved:app":"db"}}""", false)]
    [InlineData("""{"matchLabels":{"app":"d"}}""", false)]
    [InlineData("""{"matchLabels":{"app":"db0"}}""", false)]
    [InlineData("""{"matchLabels":{"pp":"db"}}""", false)]
    [InlineData("""{"matchLabels":{"app":"db","tier":"data"}}""", false)]
    [InlineData("""{}""", true)]
    [InlineData("""{"matchExpressions":[{"key":"app","operator":"In","values":["cache","db"]}]}""", true)]
    [InlineData("""{"matchExpressions":[{"key":"app","operator":"In","values":["cache","d.*"]}]}""", false)]
    [InlineData("""{"matchExpressions":[{"key":"app","operator":"NotIn","values":["db"]}]}""", false)]
    [InlineData("""{"matchExpressions":[{"key":"tier","operator":"NotIn","values":["web"]}]}""", true)]
    [InlineData("""{"matchExpressions":[{"key":"app","operator":"Exists"}]}""", true)]
    [InlineData("""{"matchExpressions":[{"key":"tier","operator":"Exists"}]}""", false)]
    [InlineData("""{"matchExpressions":[{"key":"tier","operator":"DoesNotExist"}]}""", true)]
    [InlineData("""{"matchExpressions":[{"key":"k8s:app","operator":"DoesNotExist"}]}""", false)]
    public void Endpoint_selector_is_evaluated_exactly_on_the_protected_endpoint(string selector, bool selected)
    {
        var spec = "{\"endpointSelector\":" + selector + ",\"ingress\":[{\"fromEndpoints\":[{\"matchLabels\":{\"app\":\"backend\"}}]}]}";
        var result = Match(Flow("ingress-policy-denied.jsonl"), Policy("p", spec));
        Assert.Equal(selected ? FlowDecision.Alert : FlowDecision.NoAlertPolicy, result.Decision);
    }

    [Fact]
    public void Substring_of_a_label_does_not_select_the_endpoint()
    {
        // GitLab's matcher treated "app=db" as a substring of the flow label, so it also selected app=db2.
        var flow = Flow("ingress-policy-denied.jsonl");
        flow.Destination.Labels[0] = "k8s:app=db2";
        Assert.Equal(FlowDecision.NoAlertPolicy, Match(flow, Policy("db-ingress", DbIngressSpec)).Decision);
    }

    [Fact]
    public void Peer_selector_without_namespace_only_admits_peers_of_the_policy_namespace()
    {
        var flow = Flow("ingress-policy-denied.jsonl");
        var spec = DbIngressSpec.Replace("\"backend\"", "\"frontend\"", StringComparison.Ordinal);
        Assert.Equal(FlowDecision.NoAlertPolicy, Match(flow, Policy("db-ingress", spec)).Decision);

        flow.Source.Namespace = "other";
        flow.Source.Labels[2] = "k8s:io.kubernetes.pod.namespace=other";
        Assert.Equal(FlowDecision.Alert, Match(flow, Policy("db-ingress", spec)).Decision);

        var crossNamespace = """
            {"endpointSelector":{"matchLabels":{"app":"db"}},
             "ingress":[{"fromEndpoints":[{"matchLabels":{"app":"frontend","k8s:io.kubernetes.pod.namespace":"other"}}]}]}
            """;
        Assert.Equal(FlowDecision.NoAlertPolicy, Match(flow, Policy("db-ingress", crossNamespace)).Decision);
    }

    [Fact]
    public void Policy_without_rules_for_the_direction_is_not_blamed()
    {
        var egressOnly = """{"endpointSelector":{"matchLabels":{"app":"db"}},"egress":[{"toEndpoints":[{}]}]}""";
        Assert.Equal(FlowDecision.NoAlertPolicy, Match(Flow("ingress-policy-denied.jsonl"), Policy("db-egress", egressOnly)).Decision);
    }

    [Fact]
    public void Rules_in_specs_are_evaluated()
    {
        var specs = """[{"endpointSelector":{"matchLabels":{"app":"web"}},"ingress":[{}]},""" + DbIngressSpec + "]";
        Assert.Equal(FlowDecision.Alert, Match(Flow("ingress-policy-denied.jsonl"), Policy("multi", specs, specKey: "specs")).Decision);
    }

    [Fact]
    public void Egress_drop_blames_policy_selecting_the_source()
    {
        var flow = Flow("egress-policy-denied.jsonl");
        var clusterOnly = """{"endpointSelector":{"matchLabels":{"app":"web"}},"egress":[{"toEntities":["cluster"]}]}""";
        Assert.Equal(FlowDecision.Alert, Match(flow, Policy("web-egress", clusterOnly)).Decision);

        var ingressPolicyOnDestination = """{"endpointSelector":{"matchLabels":{"app":"db"}},"egress":[{}]}""";
        Assert.Equal(FlowDecision.NoAlertPolicy, Match(flow, Policy("db-egress", ingressPolicyOnDestination)).Decision);
    }

    [Theory]
    [InlineData("""{"toCIDR":["203.0.113.0/24"],"toPorts":[{"ports":[{"port":"443","protocol":"TCP"}]}]}""", false)]
    [InlineData("""{"toCIDR":["203.0.113.0/24"],"toPorts":[{"ports":[{"port":"80","protocol":"TCP"}]}]}""", true)]
    [InlineData("""{"toCIDR":["203.0.113.0/24"],"toPorts":[{"ports":[{"port":"443","protocol":"UDP"}]}]}""", true)]
    [InlineData("""{"toCIDR":["203.0.113.0/24"],"toPorts":[{"ports":[{"port":"400","endPort":500,"protocol":"ANY"}]}]}""", false)]
    [InlineData("""{"toCIDRSet":[{"cidr":"203.0.113.0/24","except":["203.0.113.8/29"]}]}""", true)]
    [InlineData("""{"toCIDRSet":[{"cidr":"203.0.113.0/24","except":["203.0.113.16/29"]}]}""", false)]
    [InlineData("""{"toEntities":["world"]}""", false)]
    [InlineData("""{"toEntities":["all"]}""", false)]
    [InlineData("""{"toEntities":["host"]}""", true)]
    [InlineData("""{"toFQDNs":[{"matchName":"api.example.com"}]}""", false)]
    [InlineData("""{"toFQDNs":[{"matchPattern":"*.example.com"}]}""", false)]
    [InlineData("""{"toFQDNs":[{"matchPattern":"*.example.org"}]}""", true)]
    [InlineData("""{"toPorts":[{"ports":[{"port":"https","protocol":"TCP"}]}]}""", true)]
    [InlineData("""{"toServices":[{"k8sService":{"serviceName":"x","namespace":"prod"}}]}""", true)]
    public void Egress_peer_and_port_rules(string egressRule, bool alerts)
    {
        var flow = Flow("egress-policy-denied.jsonl");
        flow.DestinationNames.Add("api.example.com.");
        var spec = """{"endpointSelector":{"matchLabels":{"app":"web"}},"egress":[""" + egressRule + "]}";
        Assert.Equal(alerts ? FlowDecision.Alert : FlowDecision.NoAlertPolicy, Match(flow, Policy("web-egress", spec)).Decision);
    }

    [Fact]
    public void Explicit_deny_named_by_hubble_alerts_with_the_named_policy()
    {
        var denySsh = Policy("deny-ssh", """{"endpointSelector":{"matchLabels":{"app":"nothing-here"}},"ingressDeny":[{"toPorts":[{"ports":[{"port":"22"}]}]}]}""");
        var db = Policy("db-ingress", DbIngressSpec);
        var result = Match(Flow("explicit-deny.jsonl", 0), db, denySsh);
        Assert.Equal(FlowDecision.Alert, result.Decision);
        Assert.Same(denySsh, result.Policy);
    }

    [Fact]
    public void Explicit_deny_named_by_hubble_without_annotation_does_not_alert()
    {
        var denySsh = Policy("deny-ssh", """{"endpointSelector":{},"ingressDeny":[{"toPorts":[{"ports":[{"port":"22"}]}]}]}""", alert: false);
        var db = Policy("db-ingress", DbIngressSpec);
        Assert.Equal(FlowDecision.NoAlertPolicy, Match(Flow("explicit-deny.jsonl", 0), db, denySsh).Decision);
    }

    [Fact]
    public void Explicit_deny_without_policy_names_is_matched_against_deny_rules()
    {
        var flow = Flow("explicit-deny.jsonl", 1);
        var denySsh = Policy("deny-ssh", """{"endpointSelector":{"matchLabels":{"app":"db"}},"ingressDeny":[{"fromEndpoints":[{"matchLabels":{"app":"frontend"}}],"toPorts":[{"ports":[{"port":"22","protocol":"TCP"}]}]}]}""");
        var db = Policy("a-db-ingress", DbIngressSpec);

        // The default-deny policy "a-db-ingress" selects db too, but only a deny rule explains POLICY_DENY.
        var result = Match(flow, db, denySsh);
        Assert.Equal(FlowDecision.Alert, result.Decision);
        Assert.Same(denySsh, result.Policy);

        var denyOtherPort = Policy("deny-ssh", """{"endpointSelector":{"matchLabels":{"app":"db"}},"ingressDeny":[{"fromEndpoints":[{"matchLabels":{"app":"frontend"}}],"toPorts":[{"ports":[{"port":"23"}]}]}]}""");
        Assert.Equal(FlowDecision.NoAlertPolicy, Match(flow, db, denyOtherPort).Decision);
    }

    [Fact]
    public void Allowed_audited_and_redirected_flows_do_not_alert()
    {
        var policy = Policy("db-ingress", DbIngressSpec);
        var decisions = Flows("allowed.jsonl").Select(f => Match(f, policy).Decision).ToList();
        Assert.Equal([FlowDecision.NotDropped, FlowDecision.NotDropped, FlowDecision.NotDropped], decisions);
    }

    [Fact]
    public void L7_http_drop_alerts_only_when_the_request_does_not_match_the_policy_http_rules()
    {
        var policy = Policy("api-l7", ApiL7Spec);
        var decisions = Flows("l7-http.jsonl").Select(f => Match(f, policy).Decision).ToList();

        // GET /admin/users: path not allowed; GET /api/v1/items?id=5: allowed; DELETE: method not allowed;
        // GET /xapi/...: an unanchored "/api/.*" would match, Cilium's anchored one does not.
        Assert.Equal([FlowDecision.Alert, FlowDecision.NoAlertPolicy, FlowDecision.Alert, FlowDecision.Alert], decisions);
    }

    [Fact]
    public void L7_http_rules_with_headers_and_host()
    {
        var spec = """
            {"endpointSelector":{"matchLabels":{"app":"api"}},
             "ingress":[{"toPorts":[{"ports":[{"port":"8080","protocol":"TCP"}],
                "rules":{"http":[{"method":"GET","path":"/admin/.*","host":"api\\.prod\\.svc","headers":["User-Agent: curl/8.5.0"]}]}}]}]}
            """;
        var flows = Flows("l7-http.jsonl");
        Assert.Equal(FlowDecision.NoAlertPolicy, Match(flows[0], Policy("api-l7", spec)).Decision);
        Assert.Equal(FlowDecision.Alert, Match(flows[0], Policy("api-l7", spec.Replace("curl/8.5.0", "wget", StringComparison.Ordinal))).Decision);
        Assert.Equal(FlowDecision.Alert, Match(flows[0], Policy("api-l7", spec.Replace("api\\\\.prod", "web\\\\.prod", StringComparison.Ordinal))).Decision);
    }

    [Fact]
    public void L7_drop_is_not_blamed_on_a_policy_without_http_rules_for_the_port()
    {
        var l4Only = """{"endpointSelector":{"matchLabels":{"app":"api"}},"ingress":[{"toPorts":[{"ports":[{"port":"8080","protocol":"TCP"}]}]}]}""";
        Assert.Equal(FlowDecision.NoAlertPolicy, Match(Flow("l7-http.jsonl"), Policy("api-l4", l4Only)).Decision);
    }

    [Fact]
    public void Non_policy_drops_do_not_alert()
    {
        var policy = Policy("db-ingress", DbIngressSpec);
        var decisions = Flows("non-policy-drops.jsonl").Select(f => Match(f, policy).Decision).ToList();
        Assert.Equal([FlowDecision.NotPolicyDrop, FlowDecision.NotPolicyDrop, FlowDecision.NotPolicyDrop], decisions);
    }

    [Fact]
    public void Unknown_enum_values_are_kept_and_never_alert_by_accident()
    {
        var policy = Policy("db-ingress", DbIngressSpec);
        var flows = Flows("unknown-enums.jsonl");
        Assert.Equal((Verdict)99, flows[0].Verdict);
        Assert.Equal((DropReason)999, flows[1].DropReasonDesc);
        Assert.Equal((TrafficDirection)7, flows[2].TrafficDirection);
        Assert.Equal((FlowType)42, flows[4].Type);

        var decisions = flows.Select(f => Match(f, policy).Decision).ToList();
        Assert.Equal(
            [FlowDecision.NotDropped, FlowDecision.NotPolicyDrop, FlowDecision.UnknownDirection, FlowDecision.NotDropped, FlowDecision.Alert],
            decisions);
    }

    [Fact]
    public void Missing_endpoints_do_not_alert_or_throw()
    {
        var policy = Policy("db-ingress", DbIngressSpec);
        var decisions = Flows("missing-endpoints.jsonl").Select(f => Match(f, policy).Decision).ToList();
        Assert.Equal([FlowDecision.MissingEndpoint, FlowDecision.MissingEndpoint, FlowDecision.NoAlertPolicy], decisions);
    }

    [Fact]
    public void Flow_without_event_type_is_classified_by_type_and_drop_reason()
    {
        var policy = Policy("db-ingress", DbIngressSpec);
        var flow = Flow("ingress-policy-denied.jsonl");
        flow.EventType = null;
        Assert.Equal(FlowDecision.Alert, Match(flow, policy).Decision);
        flow.DropReasonDesc = DropReason.CtMissingTcpAckFlag;
        Assert.Equal(FlowDecision.NotPolicyDrop, Match(flow, policy).Decision);
    }
}
