using Gitlab.Agent.TestUtilities;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Gitlab.Agent.Testing.Tests.Infrastructure;

namespace Gitlab.Agent.Testing.Tests.Server;

/// <summary>CustomResourceDefinitions: the new resource is served (discovery, openapi, CRUD, watch, status, kubectl).</summary>
public sealed class CrdTests
{
    internal const string CiliumNetworkPolicyCrd = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: ciliumnetworkpolicies.cilium.io
        spec:
          group: cilium.io
          scope: Namespaced
          names:
            kind: CiliumNetworkPolicy
            listKind: CiliumNetworkPolicyList
            plural: ciliumnetworkpolicies
            singular: ciliumnetworkpolicy
            shortNames: [cnp, ciliumnp]
            categories: [cilium, ciliumpolicy]
          versions:
          - name: v2
            served: true
            storage: true
            subresources:
              status: {}
            additionalPrinterColumns:
            - name: Valid
              type: string
              jsonPath: .status.conditions[?(@.type=='Valid')].status
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    x-kubernetes-preserve-unknown-fields: true
                  specs:
                    type: array
                    items:
                      type: object
                      x-kubernetes-preserve-unknown-fields: true
                  status:
                    type: object
                    x-kubernetes-preserve-unknown-fields: true
        """;

    internal const string Policy = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata:
          name: allow-web
          namespace: default
        spec:
          endpointSelector:
            matchLabels:
              app: web
          ingress:
          - fromEndpoints:
            - matchLabels:
                app: client
        """;

    [Fact]
    public async Task Kubectl_applies_crd_then_custom_resources_are_served()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var kubectl = new KubectlRunner(cluster.KubeconfigPath);
        (await kubectl.RunAsync("apply", "-f", kubectl.WriteFile("crd.yaml", CiliumNetworkPolicyCrd))).ShouldSucceed();
        (await kubectl.RunAsync("wait", "--for=condition=Established", "crd/ciliumnetworkpolicies.cilium.io", "--timeout=60s")).ShouldSucceed();

        var resources = (await kubectl.RunAsync("api-resources", "--api-group=cilium.io")).ShouldSucceed();
        Assert.Contains(resources.Stdout.Split('\n'), l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["ciliumnetworkpolicies", "cnp,ciliumnp", "cilium.io/v2", "true", "CiliumNetworkPolicy"]);

        var file = kubectl.WriteFile("cnp.yaml", Policy);
        Assert.Equal("ciliumnetworkpolicy.cilium.io/allow-web created\n", (await kubectl.RunAsync("apply", "-f", file)).ShouldSucceed().Stdout);
        File.WriteAllText(file, Policy.Replace("app: client", "app: other", StringComparison.Ordinal));
        Assert.Equal("ciliumnetworkpolicy.cilium.io/allow-web configured\n", (await kubectl.RunAsync("apply", "-f", file)).ShouldSucceed().Stdout);
        Assert.Contains(cluster.Requests.Snapshot(), r => r.Resource == "ciliumnetworkpolicies" && r.Verb == "patch" && r.ContentType!.StartsWith("application/merge-patch+json", StringComparison.Ordinal));

        var get = (await kubectl.RunAsync("get", "cnp", "-o", "json")).ShouldSucceed();
        var list = JsonNode.Parse(get.Stdout)!;
        var item = list["items"]![0]!;
        Assert.Equal("other", (string?)item["spec"]!["ingress"]![0]!["fromEndpoints"]![0]!["matchLabels"]!["app"]);
        Assert.Equal(2, (int?)item["metadata"]!["generation"]);

        var ssa = (await kubectl.RunAsync("apply", "--server-side", "--field-manager=gitops", "--force-conflicts", "-f", file)).ShouldSucceed();
        Assert.Equal("ciliumnetworkpolicy.cilium.io/allow-web serverside-applied\n", ssa.Stdout);

        using var raw = new RawApi(cluster);
        var status = """{"status":{"conditions":[{"type":"Other","status":"False"},{"type":"Valid","status":"True"}]}}""";
        Assert.Equal(200, (await raw.PatchAsync("/apis/cilium.io/v2/namespaces/default/ciliumnetworkpolicies/allow-web/status", status, "application/merge-patch+json")).Code);
        var table = (await kubectl.RunAsync("get", "ciliumnetworkpolicies")).ShouldSucceed();
        var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["NAME", "VALID", "AGE"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["allow-web", "True"], lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..2]);
    }

    [Fact]
    public async Task Client_crud_watch_and_status_subresource_on_custom_resources()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        using var raw = new RawApi(cluster);
        var crdJson = Yaml(CiliumNetworkPolicyCrd);
        var (code, crd, _) = await raw.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crdJson.ToJsonString());
        Assert.Equal(201, code);
        Assert.Contains("customresourcecleanup.apiextensions.k8s.io", crd!["metadata"]!["finalizers"]!.AsArray().Select(f => (string?)f));
        await Eventually.TrueAsync(async () =>
        {
            var c = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync("ciliumnetworkpolicies.cilium.io");
            return c.Status?.Conditions?.Any(x => x.Type == "Established" && x.Status == "True") == true
                && c.Status.Conditions.Any(x => x.Type == "NamesAccepted" && x.Status == "True");
        }, "CRD established");

        var (gvCode, gv, _) = await raw.GetAsync("/apis/cilium.io/v2");
        Assert.Equal(200, gvCode);
        Assert.Contains(gv!["resources"]!.AsArray(), r => (string?)r!["name"] == "ciliumnetworkpolicies/status");
        var (_, openapi, _) = await raw.GetAsync("/openapi/v3");
        Assert.NotNull(openapi!["paths"]!["apis/cilium.io/v2"]);

        var list = await client.CustomObjects.ListNamespacedCustomObjectAsync<JsonElement>("cilium.io", "v2", "default", "ciliumnetworkpolicies");
        var listRv = list.GetProperty("metadata").GetProperty("resourceVersion").GetString();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var events = new List<string>();
        var watching = Task.Run(async () =>
        {
            var response = client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync("cilium.io", "v2", "default", "ciliumnetworkpolicies", watch: true, resourceVersion: listRv, cancellationToken: cts.Token);
#pragma warning disable CS0618 // the typed custom-object watch is the only generic one
            await foreach (var (type, obj) in response.WatchAsync<JsonElement, object>(cancellationToken: cts.Token))
#pragma warning restore CS0618
            {
                events.Add($"{type} {obj.GetProperty("metadata").GetProperty("name").GetString()}");
                if (events.Count == 2)
                {
                    return;
                }
            }
        });

        var policy = Yaml(Policy);
        policy["status"] = new JsonObject { ["ignored"] = true };
        var created = await client.CustomObjects.CreateNamespacedCustomObjectAsync<JsonElement>(policy, "cilium.io", "v2", "default", "ciliumnetworkpolicies");
        Assert.False(created.TryGetProperty("status", out _));
        Assert.Equal(1, created.GetProperty("metadata").GetProperty("generation").GetInt32());

        var status = new JsonObject { ["status"] = new JsonObject { ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Valid", ["status"] = "True" }) } };
        var (statusCode, afterStatus, _) = await raw.PatchAsync("/apis/cilium.io/v2/namespaces/default/ciliumnetworkpolicies/allow-web/status", status.ToJsonString(), "application/merge-patch+json");
        Assert.Equal(200, statusCode);
        Assert.Equal("True", (string?)afterStatus!["status"]!["conditions"]![0]!["status"]);
        Assert.Equal(1, (int?)afterStatus["metadata"]!["generation"]);
        await watching.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["Added allow-web", "Modified allow-web"], events);

        var (smpCode, _, _) = await raw.PatchAsync("/apis/cilium.io/v2/namespaces/default/ciliumnetworkpolicies/allow-web", "{}", "application/strategic-merge-patch+json");
        Assert.Equal(415, smpCode);

        // Deleting the CRD removes its instances and stops serving the resource.
        await client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync("ciliumnetworkpolicies.cilium.io");
        await Eventually.TrueAsync(async () => (await raw.GetAsync("/apis/cilium.io/v2/namespaces/default/ciliumnetworkpolicies")).Code == 404, "resource no longer served");
        var crds = await client.ApiextensionsV1.ListCustomResourceDefinitionAsync();
        Assert.Empty(crds.Items);
    }

    [Fact]
    public async Task Custom_resource_before_its_crd_is_not_found()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        var e = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.CustomObjects.CreateNamespacedCustomObjectAsync<JsonElement>(Yaml(Policy), "cilium.io", "v2", "default", "ciliumnetworkpolicies"));
        Assert.Equal(HttpStatusCode.NotFound, e.Response.StatusCode);
    }

    [Fact]
    public async Task Strict_validation_uses_the_crd_schema()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var raw = new RawApi(cluster);
        const string crd = """
            {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"},
             "spec":{"group":"example.com","scope":"Cluster","names":{"kind":"Widget","plural":"widgets"},
              "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object","properties":{"size":{"type":"integer"}}}}}}}]}}
            """;
        Assert.Equal(201, (await raw.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)).Code);
        var (code, body, _) = await raw.PostAsync("/apis/example.com/v1/widgets?fieldValidation=Strict",
            """{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"size":1,"colour":"red"}}""");
        Assert.Equal(400, code);
        Assert.Contains("unknown field \"spec.colour\"", (string?)body!["message"], StringComparison.Ordinal);

        var (code2, body2, _) = await raw.PostAsync("/apis/example.com/v1/widgets?fieldValidation=Ignore",
            """{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"size":1,"colour":"red"}}""");
        Assert.Equal(201, code2);
        Assert.Null(body2!["spec"]!["colour"]);
        Assert.Equal(1, (int?)body2["spec"]!["size"]);
    }

    internal static JsonObject Yaml(string yaml) => YamlJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(yaml));
}
