using Gitlab.Agent.TestUtilities;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Gitlab.Agent.Testing.Tests.Infrastructure;

namespace Gitlab.Agent.Testing.Tests.Server;

/// <summary>Start options, authentication, request log, persistence and discovery wire shapes.</summary>
public sealed class ServerLifecycleTests
{
    [Fact]
    public async Task Unknown_or_missing_tokens_are_unauthorized()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var wrong = new RawApi(cluster, token: "nope");
        var (code, body, _) = await wrong.GetAsync("/api/v1/namespaces");
        Assert.Equal(401, code);
        Assert.Equal("Unauthorized", (string?)body!["reason"]);

        using var anonymous = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator }) { BaseAddress = cluster.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/version")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/namespaces")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/apis")).StatusCode);

        cluster.AddUser("alice-token", "alice", "devs");
        using var alice = cluster.CreateClient("alice-token");
        var ssrr = await alice.AuthenticationV1.CreateSelfSubjectReviewAsync(new V1SelfSubjectReview());
        Assert.Equal("alice", ssrr.Status.UserInfo.Username);
    }

    [Fact]
    public async Task Plain_http_listener_accepts_requests_without_credentials_as_admin()
    {
        await using var cluster = await KubernetesApiServer.StartAsync(new KubernetesApiServerOptions { EnableHttp = true });
        Assert.NotNull(cluster.HttpAddress);
        Assert.Equal("http", cluster.HttpAddress!.Scheme);
        using var http = new HttpClient { BaseAddress = cluster.HttpAddress };
        var response = await http.GetAsync("/api/v1/namespaces/default");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var version = await http.GetStringAsync("/version/");
        Assert.Contains("\"minor\":\"32\"", version, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubeconfig_is_written_where_asked_and_works_for_the_client()
    {
        var dir = Directory.CreateTempSubdirectory("kc-").FullName;
        try
        {
            var path = Path.Combine(dir, "sub", "config");
            await using var cluster = await KubernetesApiServer.StartAsync(new KubernetesApiServerOptions { KubeconfigPath = path, AdminToken = "admin-secret" });
            Assert.Equal(path, cluster.KubeconfigPath);
            var text = await File.ReadAllTextAsync(path);
            Assert.Contains("token: admin-secret", text, StringComparison.Ordinal);
            Assert.Contains("certificate-authority-data:", text, StringComparison.Ordinal);
            Assert.Contains($"server: https://127.0.0.1:{cluster.BaseAddress.Port}", text, StringComparison.Ordinal);
            var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(path);
            using var client = new Kubernetes(config);
            var version = await client.Version.GetCodeAsync();
            Assert.Equal("v1.32.4", version.GitVersion);
            Assert.Equal("32", version.Minor);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Request_log_counts_writes_and_can_be_reset()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        cluster.Requests.Reset();
        await client.CoreV1.ListNamespaceAsync();
        Assert.Equal(0, cluster.Requests.WriteCount);
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a" } }, "default");
        await client.CoreV1.DeleteNamespacedConfigMapAsync("a", "default");
        Assert.Equal(2, cluster.Requests.WriteCount);
        Assert.Equal(1, cluster.Requests.Count("create"));
        Assert.Equal(1, cluster.Requests.Count("list"));
        var create = Assert.Single(cluster.Requests.Snapshot(), r => r.Verb == "create");
        Assert.Equal(("configmaps", "default", 201), (create.Resource, create.Namespace, create.StatusCode));
        cluster.Requests.Reset();
        Assert.Empty(cluster.Requests.Snapshot());
    }

    [Fact]
    public async Task State_survives_a_restart_with_persistence()
    {
        var dir = Directory.CreateTempSubdirectory("state-").FullName;
        try
        {
            var state = Path.Combine(dir, "state.json");
            string uid;
            long rv;
            await using (var first = await KubernetesApiServer.StartAsync(new KubernetesApiServerOptions { PersistencePath = state }))
            {
                using var client = first.CreateClient();
                await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "kept" } });
                uid = (await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a" }, Data = new Dictionary<string, string> { ["k"] = "v" } }, "kept")).Metadata.Uid;
                using var raw = new RawApi(first);
                Assert.Equal(201, (await raw.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CrdTests.Yaml(CrdTests.CiliumNetworkPolicyCrd).ToJsonString())).Code);
                await Eventually.TrueAsync(async () => (await raw.GetAsync("/apis/cilium.io/v2/namespaces/default/ciliumnetworkpolicies")).Code == 200, "crd served");
                Assert.Equal(201, (await raw.PostAsync("/apis/cilium.io/v2/namespaces/default/ciliumnetworkpolicies", CrdTests.Yaml(CrdTests.Policy).ToJsonString())).Code);
                rv = first.ResourceVersion;
            }

            await using var second = await KubernetesApiServer.StartAsync(new KubernetesApiServerOptions { PersistencePath = state });
            using var client2 = second.CreateClient();
            var cm = await client2.CoreV1.ReadNamespacedConfigMapAsync("a", "kept");
            Assert.Equal(uid, cm.Metadata.Uid);
            Assert.Equal("v", cm.Data["k"]);
            Assert.True(second.ResourceVersion >= rv);
            using var raw2 = new RawApi(second);
            var (code, body, _) = await raw2.GetAsync("/apis/cilium.io/v2/namespaces/default/ciliumnetworkpolicies/allow-web");
            Assert.Equal(200, code);
            Assert.Equal("allow-web", (string?)body!["metadata"]!["name"]);
            var created = await client2.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "b" } }, "kept");
            Assert.True(long.Parse(created.Metadata.ResourceVersion) > rv);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Aggregated_discovery_uses_the_exact_content_type()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var raw = new RawApi(cluster);
        var headers = new Dictionary<string, string> { ["Accept"] = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json" };
        var (code, body, response) = await raw.GetAsync("/apis", headers);
        Assert.Equal(200, code);
        Assert.Equal("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", response.Content.Headers.NonValidated["Content-Type"].ToString().Replace(" ", string.Empty, StringComparison.Ordinal));
        var apps = body!["items"]!.AsArray().Single(i => (string?)i!["metadata"]!["name"] == "apps")!;
        var deployments = apps["versions"]![0]!["resources"]!.AsArray().Single(r => (string?)r!["resource"] == "deployments")!;
        Assert.Equal("Namespaced", (string?)deployments["scope"]);
        Assert.Contains(deployments["subresources"]!.AsArray(), s => (string?)s!["subresource"] == "scale" && (string?)s["responseKind"]!["kind"] == "Scale");

        var (legacyCode, legacy, legacyResponse) = await raw.GetAsync("/api");
        Assert.Equal(200, legacyCode);
        Assert.Equal("APIVersions", (string?)legacy!["kind"]);
        Assert.StartsWith("application/json", legacyResponse.Content.Headers.ContentType!.MediaType, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_endpoints_answer_ok()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var raw = new RawApi(cluster);
        foreach (var path in new[] { "/readyz", "/livez", "/healthz" })
        {
            var response = await raw.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        }

        var verbose = await raw.Http.GetStringAsync("/readyz?verbose");
        Assert.EndsWith("readyz check passed\n", verbose, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_options_fail_start_with_a_clear_message()
    {
        var e = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            KubernetesApiServer.StartAsync(new KubernetesApiServerOptions { WatchHistorySize = 0 }));
        Assert.Contains("WatchHistorySize must be at least 1", e.Message, StringComparison.Ordinal);
    }
}
