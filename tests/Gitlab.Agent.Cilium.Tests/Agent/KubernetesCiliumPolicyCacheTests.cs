using Gitlab.Agent.TestUtilities;
using System.Text.Json;
using Gitlab.Agent.Cilium.Agent;
using Gitlab.Agent.Cilium.Tests.Infrastructure;
using Gitlab.Agent.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using static Gitlab.Agent.Cilium.Tests.TestData;

namespace Gitlab.Agent.Cilium.Tests.Agent;

public sealed class KubernetesCiliumPolicyCacheTests : IAsyncLifetime
{
    private KubernetesApiServer _cluster = null!;
    private IKubernetes _client = null!;

    public async Task InitializeAsync()
    {
        _cluster = await KubernetesApiServer.StartAsync();
        _client = _cluster.CreateClient();
        await _client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(new V1CustomResourceDefinition
        {
            Metadata = new V1ObjectMeta { Name = "ciliumnetworkpolicies.cilium.io" },
            Spec = new V1CustomResourceDefinitionSpec
            {
                Group = "cilium.io",
                Scope = "Namespaced",
                Names = new V1CustomResourceDefinitionNames { Plural = "ciliumnetworkpolicies", Singular = "ciliumnetworkpolicy", Kind = "CiliumNetworkPolicy", ListKind = "CiliumNetworkPolicyList", ShortNames = ["cnp"] },
                Versions =
                [
                    new V1CustomResourceDefinitionVersion
                    {
                        Name = "v2",
                        Served = true,
                        Storage = true,
                        Schema = new V1CustomResourceValidation { OpenAPIV3Schema = new V1JSONSchemaProps { Type = "object", XKubernetesPreserveUnknownFields = true } },
                    },
                ],
            },
        });
        await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "prod" } });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _cluster.DisposeAsync();
    }

    private Task CreateAsync(string name, string spec, bool alert = true) =>
        _client.CustomObjects.CreateNamespacedCustomObjectAsync(Resource(name, spec, alert), "cilium.io", "v2", "prod", "ciliumnetworkpolicies");

    private static JsonElement Resource(string name, string spec, bool alert) => JsonDocument.Parse(
        "{\"apiVersion\":\"cilium.io/v2\",\"kind\":\"CiliumNetworkPolicy\",\"metadata\":{\"name\":\"" + name +
        "\",\"namespace\":\"prod\",\"annotations\":{\"app.gitlab.com/alert\":\"" + (alert ? "true" : "false") + "\"}},\"spec\":" + spec + "}").RootElement;

    private KubernetesCiliumPolicyCache CreateCache() => new(
        () => _client,
        Microsoft.Extensions.Options.Options.Create(new CiliumAgentOptions { PolicyRelistDelay = TimeSpan.FromMilliseconds(200), PolicyWatchTimeout = TimeSpan.FromSeconds(1) }),
        TimeProvider.System,
        NullLogger<KubernetesCiliumPolicyCache>.Instance);

    private static string[] Names(KubernetesCiliumPolicyCache cache) =>
        [.. cache.Snapshot.InNamespace("prod").Select(p => p.Name)];

    [Fact]
    public async Task Lists_then_follows_adds_changes_and_deletes()
    {
        await CreateAsync("db-ingress", DbIngressSpec);
        await CreateAsync("quiet", DbIngressSpec, alert: false);
        var cache = CreateCache();
        using var stop = new CancellationTokenSource();
        var run = cache.RunAsync(stop.Token);
        await cache.WaitForSyncAsync(CancellationToken.None).WaitAsync(Eventually.DefaultTimeout);
        Assert.Equal(["db-ingress"], Names(cache));

        var policy = cache.Snapshot.Find("prod", "db-ingress")!;
        Assert.NotEmpty(policy.Uid);
        using (var json = JsonDocument.Parse(policy.Json))
        {
            Assert.Equal("CiliumNetworkPolicy", json.RootElement.GetProperty("kind").GetString());
            Assert.Equal("db", json.RootElement.GetProperty("spec").GetProperty("endpointSelector").GetProperty("matchLabels").GetProperty("app").GetString());
        }

        await CreateAsync("api-l7", ApiL7Spec);
        await Eventually.WaitAsync(() => Names(cache).SequenceEqual(["api-l7", "db-ingress"]), "the new policy in the cache");

        await _client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"metadata":{"annotations":{"app.gitlab.com/alert":"false"}}}""", V1Patch.PatchType.MergePatch),
            "cilium.io", "v2", "prod", "ciliumnetworkpolicies", "api-l7");
        await Eventually.WaitAsync(() => Names(cache).SequenceEqual(["db-ingress"]), "the un-annotated policy gone from the alert set");

        await _client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"metadata":{"annotations":{"app.gitlab.com/alert":"true"}}}""", V1Patch.PatchType.MergePatch),
            "cilium.io", "v2", "prod", "ciliumnetworkpolicies", "quiet");
        await _client.CustomObjects.DeleteNamespacedCustomObjectAsync("cilium.io", "v2", "prod", "ciliumnetworkpolicies", "db-ingress");
        await Eventually.WaitAsync(() => Names(cache).SequenceEqual(["quiet"]), "annotation added and deletion applied");

        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Watch_from_an_expired_resource_version_asks_for_a_new_list()
    {
        var cache = CreateCache();

        // Writes move the resource version on; compacting the history makes version 1 too old (410 Expired, sent
        // as an ERROR event on a 200 watch response).
        await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "bump" } }, "prod");
        _cluster.ExpireWatchHistory();
        Assert.Null(await cache.WatchAsync("1", CancellationToken.None).WaitAsync(Eventually.DefaultTimeout));

        // A current version watches normally until the server-side timeout and says where to continue.
        var current = _cluster.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(current, await cache.WatchAsync(current, CancellationToken.None).WaitAsync(Eventually.DefaultTimeout));
        await Eventually.WaitAsync(() => _cluster.Requests.Snapshot().Count(r => r.Verb == "watch" && r.Resource == "ciliumnetworkpolicies") == 2, "both watches recorded");
    }

    [Fact]
    public async Task Invalid_policies_are_skipped_and_missing_crd_is_retried()
    {
        await using var empty = await KubernetesApiServer.StartAsync();
        using var client = empty.CreateClient();
        var cache = new KubernetesCiliumPolicyCache(
            () => client,
            Microsoft.Extensions.Options.Options.Create(new CiliumAgentOptions { PolicyRelistDelay = TimeSpan.FromMilliseconds(100) }),
            TimeProvider.System,
            NullLogger<KubernetesCiliumPolicyCache>.Instance);
        using var stop = new CancellationTokenSource();
        var run = cache.RunAsync(stop.Token);
        await Eventually.WaitAsync(() => empty.Requests.Snapshot().Count(r => r.Resource == "ciliumnetworkpolicies" && r.StatusCode == 404) >= 2, "list retried while the CRD is missing");
        Assert.False(cache.WaitForSyncAsync(CancellationToken.None).IsCompleted);
        await stop.CancelAsync();
        await run;

        await CreateAsync("bad", """{"endpointSelector":{"matchExpressions":[{"key":"app","operator":"Like","values":["x"]}]}}""");
        await CreateAsync("db-ingress", DbIngressSpec);
        var good = CreateCache();
        using var stop2 = new CancellationTokenSource();
        var run2 = good.RunAsync(stop2.Token);
        await good.WaitForSyncAsync(CancellationToken.None).WaitAsync(Eventually.DefaultTimeout);
        Assert.Equal(["db-ingress"], Names(good));
        await stop2.CancelAsync();
        await run2;
    }
}
