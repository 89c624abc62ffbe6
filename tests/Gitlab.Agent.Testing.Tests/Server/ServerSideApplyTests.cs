using Gitlab.Agent.TestUtilities;
using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Gitlab.Agent.Testing.Tests.Infrastructure;

namespace Gitlab.Agent.Testing.Tests.Server;

/// <summary>Server-side apply through KubernetesClient, as the GitOps engine uses it.</summary>
public sealed class ServerSideApplyTests
{
    private static V1ConfigMap ConfigMap(IDictionary<string, string> data) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = new V1ObjectMeta { Name = "cfg", NamespaceProperty = "default" },
        Data = data,
    };

    private static V1Deployment Deployment(params (string Name, string Image)[] containers) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "default" },
        Spec = new V1DeploymentSpec
        {
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "web" } },
                Spec = new V1PodSpec { Containers = containers.Select(c => new V1Container { Name = c.Name, Image = c.Image }).ToList() },
            },
        },
    };

    [Fact]
    public async Task Apply_creates_then_reapplying_the_same_config_is_a_no_op()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        using var raw = new RawApi(cluster);
        var cm = ConfigMap(new Dictionary<string, string> { ["a"] = "1" });
        var created = await client.CoreV1.PatchNamespacedConfigMapWithHttpMessagesAsync(new V1Patch(cm, V1Patch.PatchType.ApplyPatch), "cfg", "default", fieldManager: "gitops", force: true);
        Assert.Equal(HttpStatusCode.Created, created.Response.StatusCode);
        var entry = Assert.Single(created.Body.Metadata.ManagedFields);
        Assert.Equal(("gitops", "Apply"), (entry.Manager, entry.Operation));

        var rv = cluster.ResourceVersion;
        var watchEvents = 0;
        using var cts = new CancellationTokenSource();
        var watching = Task.Run(async () =>
        {
            try
            {
                await foreach (var _ in client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: rv.ToString(), cancellationToken: cts.Token))
                {
                    watchEvents++;
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        var again = await client.CoreV1.PatchNamespacedConfigMapWithHttpMessagesAsync(new V1Patch(cm, V1Patch.PatchType.ApplyPatch), "cfg", "default", fieldManager: "gitops", force: true);
        Assert.Equal(HttpStatusCode.OK, again.Response.StatusCode);
        Assert.Equal(created.Body.Metadata.ResourceVersion, again.Body.Metadata.ResourceVersion);
        Assert.Equal(rv, cluster.ResourceVersion);

        // A later real change proves the watch was live; the no-op must not have produced an event before it.
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(ConfigMap(new Dictionary<string, string> { ["a"] = "2" }), V1Patch.PatchType.ApplyPatch), "cfg", "default", fieldManager: "gitops", force: true);
        await Eventually.TrueAsync(() => Task.FromResult(watchEvents >= 1), "watch sees the real change");
        await cts.CancelAsync();
        await watching;
        Assert.Equal(1, watchEvents);
    }

    [Fact]
    public async Task Conflicting_manager_gets_409_with_causes_unless_forced()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(ConfigMap(new Dictionary<string, string> { ["a"] = "1" }), V1Patch.PatchType.ApplyPatch), "cfg", "default", fieldManager: "one");
        var e = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(ConfigMap(new Dictionary<string, string> { ["a"] = "2" }), V1Patch.PatchType.ApplyPatch), "cfg", "default", fieldManager: "two", force: false));
        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
        var status = JsonNode.Parse(e.Response.Content)!;
        Assert.Equal("Apply failed with 1 conflict: conflict with \"one\": .data.a", (string?)status["message"]);
        Assert.Equal("FieldManagerConflict", (string?)status["details"]!["causes"]![0]!["reason"]);
        Assert.Equal(".data.a", (string?)status["details"]!["causes"]![0]!["field"]);
        Assert.Null(status["details"]!["name"]);

        var forced = await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(ConfigMap(new Dictionary<string, string> { ["a"] = "2" }), V1Patch.PatchType.ApplyPatch), "cfg", "default", fieldManager: "two", force: true);
        Assert.Equal("2", forced.Data["a"]);
        Assert.Equal(["two"], forced.Metadata.ManagedFields.Select(m => m.Manager).ToArray());
    }

    [Fact]
    public async Task Dry_run_apply_validates_and_merges_without_persisting()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        var rv = cluster.ResourceVersion;
        var result = await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(ConfigMap(new Dictionary<string, string> { ["a"] = "1" }), V1Patch.PatchType.ApplyPatch), "cfg", "default", fieldManager: "gitops", force: true, dryRun: "All");
        Assert.Equal("1", result.Data["a"]);
        Assert.Equal(rv, cluster.ResourceVersion);
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespacedConfigMapAsync("cfg", "default"));
        Assert.Equal(HttpStatusCode.NotFound, e.Response.StatusCode);
    }

    [Fact]
    public async Task Apply_without_field_manager_is_invalid()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var raw = new RawApi(cluster);
        var (code, body, _) = await raw.PatchAsync("/api/v1/namespaces/default/configmaps/cfg", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg"}}""", "application/apply-patch+yaml");
        Assert.Equal(422, code);
        Assert.Equal("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch", (string?)body!["message"]);
    }

    [Fact]
    public async Task Two_appliers_share_a_list_map_and_each_removal_only_drops_its_own_item()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(Deployment(("nginx", "nginx:1.27")), V1Patch.PatchType.ApplyPatch), "web", "default", fieldManager: "app");
        var both = await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(Deployment(("sidecar", "envoy:1")), V1Patch.PatchType.ApplyPatch), "web", "default", fieldManager: "mesh");
        Assert.Equal(["nginx", "sidecar"], both.Spec.Template.Spec.Containers.Select(c => c.Name).ToArray());

        var withoutSidecar = await client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch(new V1Deployment { ApiVersion = "apps/v1", Kind = "Deployment", Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "default" } }, V1Patch.PatchType.ApplyPatch),
            "web", "default", fieldManager: "mesh");
        Assert.Equal(["nginx"], withoutSidecar.Spec.Template.Spec.Containers.Select(c => c.Name).ToArray());
    }

    [Fact]
    public async Task Custom_resource_apply_through_custom_objects_api()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        using var raw = new RawApi(cluster);
        Assert.Equal(201, (await raw.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CrdTests.Yaml(CrdTests.CiliumNetworkPolicyCrd).ToJsonString())).Code);
        var policy = CrdTests.Yaml(CrdTests.Policy);
        var applied = await client.CustomObjects.PatchNamespacedCustomObjectAsync<JsonObject>(new V1Patch(policy, V1Patch.PatchType.ApplyPatch), "cilium.io", "v2", "default", "ciliumnetworkpolicies", "allow-web", fieldManager: "gitops", force: true);
        Assert.Equal("web", (string?)applied["spec"]!["endpointSelector"]!["matchLabels"]!["app"]);
        Assert.Equal("gitops", (string?)applied["metadata"]!["managedFields"]![0]!["manager"]);
    }
}
