using System.Text.Json;
using Gitlab.Agent.Cilium.Policies;
using static Gitlab.Agent.Cilium.Tests.TestData;

namespace Gitlab.Agent.Cilium.Tests.Policies;

public class CiliumPolicyParserTests
{
    [Fact]
    public void Reads_metadata_annotation_and_project_label_and_strips_managed_fields()
    {
        var policy = Policy("db-ingress", DbIngressSpec, project: "42");
        Assert.Equal("prod", policy.Namespace);
        Assert.Equal("db-ingress", policy.Name);
        Assert.Equal("uid-db-ingress", policy.Uid);
        Assert.True(policy.AlertEnabled);
        Assert.Equal("42", policy.Project);
        using var json = JsonDocument.Parse(policy.Json);
        Assert.False(json.RootElement.GetProperty("metadata").TryGetProperty("managedFields", out _));
        Assert.Equal("5432", json.RootElement.GetProperty("spec").GetProperty("ingress")[0].GetProperty("toPorts")[0].GetProperty("ports")[0].GetProperty("port").GetString());
    }

    [Fact]
    public void Annotation_must_be_exactly_true()
    {
        var json = PolicyJson("p", DbIngressSpec).Replace("\"app.gitlab.com/alert\":\"true\"", "\"app.gitlab.com/alert\":\"yes\"", StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json);
        Assert.False(CiliumPolicyParser.Parse(document.RootElement).AlertEnabled);
    }

    [Theory]
    [InlineData("""{"ingress":[]}""", "spec.endpointSelector: required")]
    [InlineData("""{"endpointSelector":{"matchLabels":{"app":1}}}""", "spec.endpointSelector.matchLabels.app: expected a string")]
    [InlineData("""{"endpointSelector":{"matchExpressions":[{"key":"app","operator":"Like","values":["x"]}]}}""", "spec.endpointSelector.matchExpressions[0].operator: unknown operator \"Like\"")]
    [InlineData("""{"endpointSelector":{},"ingress":[{"toPorts":[{"ports":[{"port":"80","protocol":"ICMPX"}]}]}]}""", "spec.ingress[0].toPorts[0].ports[0].protocol: unknown protocol \"ICMPX\"")]
    [InlineData("""{"endpointSelector":{},"ingress":[{"toPorts":[{"ports":[{"port":"80"}],"rules":{"http":[{"path":"(["}]}}]}]}""", "spec.ingress[0].toPorts[0].rules.http[0].path: \"([\" is not a valid regular expression")]
    [InlineData("""{"endpointSelector":{},"egress":[{"toCIDR":["10.0.0.0/99"]}]}""", "spec.egress[0].toCIDR[0]: \"10.0.0.0/99\" is not a CIDR")]
    [InlineData("""{"endpointSelector":{},"ingressDeny":[{"toPorts":[{"ports":[{"port":"80"}],"rules":{"http":[{}]}}]}]}""", "spec.ingressDeny[0].toPorts[0].rules: L7 rules are not allowed in deny rules")]
    public void Invalid_policies_are_reported_with_policy_name_and_path(string spec, string expected)
    {
        using var document = JsonDocument.Parse(PolicyJson("bad", spec));
        var error = Assert.Throws<PolicyParseException>(() => CiliumPolicyParser.Parse(document.RootElement));
        Assert.StartsWith("CiliumNetworkPolicy prod/bad: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_name_is_reported()
    {
        using var document = JsonDocument.Parse("""{"metadata":{"namespace":"prod"},"spec":{}}""");
        var error = Assert.Throws<PolicyParseException>(() => CiliumPolicyParser.Parse(document.RootElement));
        Assert.Equal("CiliumNetworkPolicy: metadata.name is required", error.Message);
    }
}
