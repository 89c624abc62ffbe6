using System.Text.Json;
using Gitlab.Agent.Cilium.Policies;
using Gitlab.Agent.Protocol.Cilium.Flow;
using Gitlab.Agent.Testing.Hubble;

namespace Gitlab.Agent.Cilium.Tests;

/// <summary>Fixtures and policy builders shared by the tests.</summary>
internal static class TestData
{
    public static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static IReadOnlyList<Flow> Flows(string fixture) =>
        HubbleFixtures.Load(FixturePath(fixture)).Where(r => r.Flow is not null).Select(r => r.Flow).ToList();

    public static Flow Flow(string fixture, int index = 0) => Flows(fixture)[index];

    /// <summary>Builds a CiliumNetworkPolicy object; <paramref name="spec"/> is the JSON of <c>spec</c>.</summary>
    public static string PolicyJson(string name, string spec, string ns = "prod", bool alert = true, string? project = null, string specKey = "spec")
    {
        var annotations = alert ? """{"app.gitlab.com/alert":"true"}""" : """{"app.gitlab.com/alert":"false"}""";
        var labels = project is null ? "{}" : $$"""{"app.gitlab.com/proj":"{{project}}"}""";
        return $$"""
            {"apiVersion":"cilium.io/v2","kind":"CiliumNetworkPolicy",
             "metadata":{"name":"{{name}}","namespace":"{{ns}}","uid":"uid-{{name}}","resourceVersion":"1",
                         "annotations":{{annotations}},"labels":{{labels}},
                         "managedFields":[{"manager":"kubectl"}]},
             "{{specKey}}":{{spec}}}
            """;
    }

    public static CiliumPolicy Policy(string name, string spec, string ns = "prod", bool alert = true, string? project = null, string specKey = "spec")
    {
        using var document = JsonDocument.Parse(PolicyJson(name, spec, ns, alert, project, specKey));
        return CiliumPolicyParser.Parse(document.RootElement);
    }

    /// <summary>The body GitLab's own agent sends: only flow (protojson) and policy; <paramref name="extra"/> is appended inside "alert".</summary>
    public static string GitlabPayload(Flow flow, string policyJson, string extra = "") =>
        "{\"alert\":{\"flow\":" + Google.Protobuf.JsonFormatter.Default.Format(flow) + ",\"ciliumNetworkPolicy\":" + policyJson + extra + "}}";

    public static CiliumPolicySnapshot Snapshot(params CiliumPolicy[] policies) => new(policies);

    /// <summary>db accepts only app=backend on TCP 5432.</summary>
    public const string DbIngressSpec = """
        {"endpointSelector":{"matchLabels":{"app":"db"}},
         "ingress":[{"fromEndpoints":[{"matchLabels":{"app":"backend"}}],"toPorts":[{"ports":[{"port":"5432","protocol":"TCP"}]}]}]}
        """;

    /// <summary>api accepts GET /api/... from app=frontend on TCP 8080.</summary>
    public const string ApiL7Spec = """
        {"endpointSelector":{"matchLabels":{"app":"api"}},
         "ingress":[{"fromEndpoints":[{"matchLabels":{"app":"frontend"}}],
                     "toPorts":[{"ports":[{"port":"8080","protocol":"TCP"}],"rules":{"http":[{"method":"GET","path":"/api/.*"}]}}]}]}
        """;
}
