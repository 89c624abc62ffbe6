using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Tests.Infrastructure;

namespace Gitlab.Agent.Testing.Tests.Conformance;

/// <summary>The real kubectl 1.32 against the in-process server: version, discovery, get.</summary>
public sealed class KubectlBasicsTests
{
    [Fact]
    public async Task Version_reports_server_v1_32()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var kubectl = new KubectlRunner(cluster.KubeconfigPath);
        var result = (await kubectl.RunAsync("version")).ShouldSucceed();
        Assert.Contains("Server Version: v1.32.4", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_resources_lists_builtin_kinds_with_short_names()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var kubectl = new KubectlRunner(cluster.KubeconfigPath);
        var result = (await kubectl.RunAsync("api-resources")).ShouldSucceed();
        var lines = result.Stdout.Split('\n');
        Assert.Contains(lines, l => Cells(l) is ["deployments", "deploy", "apps/v1", "true", "Deployment"]);
        Assert.Contains(lines, l => Cells(l) is ["namespaces", "ns", "v1", "false", "Namespace"]);
        Assert.Contains(lines, l => Cells(l) is ["customresourcedefinitions", "crd,crds", "apiextensions.k8s.io/v1", "false", "CustomResourceDefinition"]);
        Assert.Contains(lines, l => Cells(l) is ["networkpolicies", "netpol", "networking.k8s.io/v1", "true", "NetworkPolicy"]);
        Assert.Contains(lines, l => Cells(l) is ["leases", "coordination.k8s.io/v1", "true", "Lease"]);
    }

    private static string[] Cells(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task Get_namespaces_prints_the_server_side_table()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var kubectl = new KubectlRunner(cluster.KubeconfigPath);
        var result = (await kubectl.RunAsync("get", "namespaces")).ShouldSucceed();
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["NAME", "STATUS", "AGE"], Cells(lines[0]));
        Assert.Contains(lines, l => Cells(l) is ["default", "Active", _]);
        Assert.Contains(lines, l => Cells(l) is ["kube-system", "Active", _]);
    }

    [Fact]
    public async Task Get_missing_object_reports_not_found()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var kubectl = new KubectlRunner(cluster.KubeconfigPath);
        var result = await kubectl.RunAsync("get", "configmap", "nothere", "-n", "default");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Error from server (NotFound): configmaps \"nothere\" not found", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_all_namespaces_with_yaml_and_json_output()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var kubectl = new KubectlRunner(cluster.KubeconfigPath);
        var file = kubectl.WriteFile("cms.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: a
              namespace: default
            data:
              k: v
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: b
              namespace: kube-public
            data:
              k1: v1
              k2: v2
            """);
        (await kubectl.RunAsync("create", "-f", file)).ShouldSucceed();

        var table = (await kubectl.RunAsync("get", "configmaps", "-A")).ShouldSucceed();
        var rows = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Cells).ToList();
        Assert.Equal(["NAMESPACE", "NAME", "DATA", "AGE"], rows[0]);
        Assert.Contains(rows, r => r is ["default", "a", "1", _]);
        Assert.Contains(rows, r => r is ["kube-public", "b", "2", _]);

        var json = (await kubectl.RunAsync("get", "configmap", "b", "-n", "kube-public", "-o", "json")).ShouldSucceed();
        var obj = JsonNode.Parse(json.Stdout)!;
        Assert.Equal("ConfigMap", (string?)obj["kind"]);
        Assert.Equal("v2", (string?)obj["data"]!["k2"]);
        Assert.False(string.IsNullOrEmpty((string?)obj["metadata"]!["uid"]));

        var yaml = (await kubectl.RunAsync("get", "configmaps", "-n", "default", "-o", "yaml")).ShouldSucceed();
        Assert.Contains("kind: List", yaml.Stdout, StringComparison.Ordinal);
        Assert.Contains("    name: a\n", yaml.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("name: b", yaml.Stdout, StringComparison.Ordinal);
    }
}
