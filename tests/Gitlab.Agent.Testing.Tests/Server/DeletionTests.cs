using Gitlab.Agent.TestUtilities;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Gitlab.Agent.Testing.Tests.Infrastructure;

namespace Gitlab.Agent.Testing.Tests.Server;

/// <summary>Finalizers, propagation policies, garbage collection and namespace termination.</summary>
public sealed class DeletionTests
{
    private static V1ConfigMap ConfigMap(string name, string ns = "default", IList<string>? finalizers = null, V1ConfigMap? owner = null) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = ns,
            Finalizers = finalizers,
            OwnerReferences = owner is null ? null : [new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = owner.Metadata.Name, Uid = owner.Metadata.Uid, BlockOwnerDeletion = true }],
        },
    };

    private static async Task<bool> ExistsAsync(IKubernetes client, string name, string ns = "default")
    {
        try
        {
            await client.CoreV1.ReadNamespacedConfigMapAsync(name, ns);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    [Fact]
    public async Task Finalizers_hold_the_object_until_removed()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        using var raw = new RawApi(cluster);
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a", finalizers: ["example.com/hold"]), "default");
        var (code, body, _) = await raw.DeleteAsync("/api/v1/namespaces/default/configmaps/a");
        Assert.Equal(200, code);
        Assert.Equal("ConfigMap", (string?)body!["kind"]);
        Assert.NotNull(body["metadata"]!["deletionTimestamp"]);

        var held = await client.CoreV1.ReadNamespacedConfigMapAsync("a", "default");
        Assert.NotNull(held.Metadata.DeletionTimestamp);

        held.Metadata.Finalizers = ["example.com/hold", "example.com/another"];
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReplaceNamespacedConfigMapAsync(held, "a", "default"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, e.Response.StatusCode);
        Assert.Contains("no new finalizers can be added if the object is being deleted", e.Response.Content, StringComparison.Ordinal);

        held.Metadata.Finalizers = [];
        await client.CoreV1.ReplaceNamespacedConfigMapAsync(held, "a", "default");
        Assert.False(await ExistsAsync(client, "a"));
    }

    [Fact]
    public async Task Background_propagation_garbage_collects_dependents()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        var owner = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("owner"), "default");
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("dep1", owner: owner), "default");
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("dep2", owner: owner), "default");
        await client.CoreV1.DeleteNamespacedConfigMapAsync("owner", "default", propagationPolicy: "Background");
        Assert.False(await ExistsAsync(client, "owner"));
        await Eventually.TrueAsync(async () => !await ExistsAsync(client, "dep1") && !await ExistsAsync(client, "dep2"), "dependents collected");
    }

    [Fact]
    public async Task Orphan_propagation_keeps_dependents_without_owner_references()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        var owner = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("owner"), "default");
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("dep", owner: owner), "default");
        await client.CoreV1.DeleteNamespacedConfigMapAsync("owner", "default", propagationPolicy: "Orphan");
        await Eventually.TrueAsync(async () => !await ExistsAsync(client, "owner"), "owner deleted after orphaning");
        var dep = await client.CoreV1.ReadNamespacedConfigMapAsync("dep", "default");
        Assert.Null(dep.Metadata.OwnerReferences);
    }

    [Fact]
    public async Task Foreground_propagation_deletes_dependents_before_the_owner()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        using var raw = new RawApi(cluster);
        var owner = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("owner"), "default");
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("dep", owner: owner, finalizers: ["example.com/slow"]), "default");
        var (code, body, _) = await raw.DeleteAsync("/api/v1/namespaces/default/configmaps/owner", "{\"propagationPolicy\":\"Foreground\"}");
        Assert.Equal(200, code);
        Assert.Contains("foregroundDeletion", body!["metadata"]!["finalizers"]!.AsArray().Select(f => (string?)f));

        // The dependent is being deleted but its own finalizer holds it, so the owner waits.
        await Eventually.TrueAsync(async () => (await client.CoreV1.ReadNamespacedConfigMapAsync("dep", "default")).Metadata.DeletionTimestamp is not null, "dependent deletion started");
        Assert.True(await ExistsAsync(client, "owner"));

        // The garbage collector may still be writing the dependent: read-modify-write with a retry on 409, as controllers do.
        for (var attempt = 1; ; attempt++)
        {
            var dep = await client.CoreV1.ReadNamespacedConfigMapAsync("dep", "default");
            dep.Metadata.Finalizers = [];
            try
            {
                await client.CoreV1.ReplaceNamespacedConfigMapAsync(dep, "dep", "default");
                break;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < 5)
            {
            }
        }

        await Eventually.TrueAsync(async () => !await ExistsAsync(client, "owner"), "owner deleted once the dependent is gone");
    }

    [Fact]
    public async Task Invalid_propagation_policy_is_rejected()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var raw = new RawApi(cluster);
        using var client = cluster.CreateClient();
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");
        var (code, body, _) = await raw.DeleteAsync("/api/v1/namespaces/default/configmaps/a", "{\"propagationPolicy\":\"Sideways\"}");
        Assert.Equal(422, code);
        Assert.Contains("propagationPolicy: Unsupported value: \"Sideways\"", (string?)body!["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Namespace_termination_removes_contents_then_the_namespace()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "x" } });
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a", "x", finalizers: ["example.com/hold"]), "x");
        var deleted = await client.CoreV1.DeleteNamespaceAsync("x");
        var ns = await client.CoreV1.ReadNamespaceAsync("x");
        Assert.Equal("Terminating", ns.Status.Phase);
        Assert.NotNull(ns.Metadata.DeletionTimestamp);

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("b", "x"), "x"));
        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
        Assert.Contains("configmaps \\\"b\\\" is forbidden: unable to create new content in namespace x because it is being terminated", e.Response.Content, StringComparison.Ordinal);

        await Eventually.TrueAsync(async () => (await client.CoreV1.ReadNamespacedConfigMapAsync("a", "x")).Metadata.DeletionTimestamp is not null, "contents being deleted");
        Assert.Equal("Terminating", (await client.CoreV1.ReadNamespaceAsync("x")).Status.Phase);
        var held = await client.CoreV1.ReadNamespacedConfigMapAsync("a", "x");
        held.Metadata.Finalizers = null;
        await client.CoreV1.ReplaceNamespacedConfigMapAsync(held, "a", "x");
        await Eventually.TrueAsync(async () => (await client.CoreV1.ListNamespaceAsync()).Items.All(n => n.Metadata.Name != "x"), "namespace finalized");
    }

    [Fact]
    public async Task System_namespaces_cannot_be_deleted()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var raw = new RawApi(cluster);
        var (code, body, _) = await raw.DeleteAsync("/api/v1/namespaces/default");
        Assert.Equal(403, code);
        Assert.Equal("namespaces \"default\" is forbidden: this namespace may not be deleted", (string?)body!["message"]);
    }

    [Fact]
    public async Task Delete_collection_honours_label_selector()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        foreach (var (name, app) in new[] { ("a", "web"), ("b", "db"), ("c", "web") })
        {
            await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = app } } }, "default");
        }

        await client.CoreV1.DeleteCollectionNamespacedConfigMapAsync("default", labelSelector: "app=web");
        var left = await client.CoreV1.ListNamespacedConfigMapAsync("default", labelSelector: "app");
        Assert.Equal(["b"], left.Items.Select(i => i.Metadata.Name).ToArray());
    }

    [Fact]
    public async Task New_namespaces_get_a_default_service_account_and_root_ca()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "fresh" } });
        await Eventually.TrueAsync(async () => (await client.CoreV1.ListNamespacedServiceAccountAsync("fresh")).Items.Any(s => s.Metadata.Name == "default"), "default service account");
        var ca = await client.CoreV1.ReadNamespacedConfigMapAsync("kube-root-ca.crt", "fresh");
        Assert.Equal(cluster.CaCertificatePem.Trim(), ca.Data["ca.crt"].Trim());
    }
}
