using Gitlab.Agent.TestUtilities;
using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Tests.Infrastructure;

namespace Gitlab.Agent.Testing.Tests.Conformance;

/// <summary>kubectl apply (client-side and server-side), diff, delete -f and create generators.</summary>
public sealed class KubectlApplyTests
{
    [Fact]
    public async Task Client_side_apply_creates_updates_and_makes_no_write_when_unchanged()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var kubectl = new KubectlRunner(cluster.KubeconfigPath);
        var file = kubectl.WriteFile("app.yaml", Manifests.App());
        var first = (await kubectl.RunAsync("apply", "-f", file)).ShouldSucceed();
        Assert.Equal("namespace/x created\nconfigmap/cfg created\ndeployment.apps/web created\n", first.Stdout);

        cluster.Requests.Reset();
        var again = (await kubectl.RunAsync("apply", "-f", file)).ShouldSucceed();
        Assert.Equal("namespace/x unchanged\nconfigmap/cfg unchanged\ndeployment.apps/web unchanged\n", again.Stdout);
        Assert.Equal(0, cluster.Requests.WriteCount);

        File.WriteAllText(file, Manifests.App(value: "value2", image: "nginx:1.28"));
        var changed = (await kubectl.RunAsync("apply", "-f", file)).ShouldSucceed();
        Assert.Equal("namespace/x unchanged\nconfigmap/cfg configured\ndeployment.apps/web configured\n", changed.Stdout);
        Assert.Contains(cluster.Requests.Snapshot(), r => r.Verb == "patch" && r.ContentType!.StartsWith("application/strategic-merge-patch+json", StringComparison.Ordinal));

        var deploy = JsonNode.Parse((await kubectl.RunAsync("get", "deploy", "web", "-n", "x", "-o", "json")).ShouldSucceed().Stdout)!;
        Assert.Equal("nginx:1.28", (string?)deploy["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]);
        Assert.Equal(2, (int?)deploy["metadata"]!["generation"]);
        var cm = JsonNode.Parse((await kubectl.RunAsync("get", "cm", "cfg", "-n", "x", "-o", "json")).ShouldSucceed().Stdout)!;
        Assert.Equal("value2", (string?)cm["data"]!["key"]);
    }

    [Fact]
    public async Task Apply_of_a_namespaced_object_before_its_namespace_fails_like_a_real_cluster()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var kubectl = new KubectlRunner(cluster.KubeconfigPath);
        var file = kubectl.WriteFile("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: nons\n");
        var result = await kubectl.RunAsync("apply", "-f", file);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("namespaces \"nons\" not found", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_side_apply_creates_updates_conflicts_forces_and_prunes()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var kubectl = new KubectlRunner(cluster.KubeconfigPath);
        var file = kubectl.WriteFile("cm.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: cfg
              namespace: default
            data:
              key: value1
              extra: e
            """);
        var created = (await kubectl.RunAsync("apply", "--server-side", "--field-manager=alpha", "-f", file)).ShouldSucceed();
        Assert.Equal("configmap/cfg serverside-applied\n", created.Stdout);

        // The applier stops sending "extra": it disappears.
        File.WriteAllText(file, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: default\ndata:\n  key: value1\n");
        (await kubectl.RunAsync("apply", "--server-side", "--field-manager=alpha", "-f", file)).ShouldSucceed();
        var cm = JsonNode.Parse((await kubectl.RunAsync("get", "cm", "cfg", "-o", "json")).ShouldSucceed().Stdout)!;
        Assert.Null(cm["data"]!["extra"]);

        // Another manager with a different value conflicts.
        var other = kubectl.WriteFile("other.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: default\ndata:\n  key: value2\n");
        var conflict = await kubectl.RunAsync("apply", "--server-side", "--field-manager=beta", "-f", other);
        Assert.Equal(1, conflict.ExitCode);
        Assert.Contains("Apply failed with 1 conflict: conflict with \"alpha\": .data.key", conflict.Stderr, StringComparison.Ordinal);
        Assert.Contains(cluster.Requests.Snapshot(), r => r.Verb == "patch" && r.StatusCode == 409);

        // --force-conflicts takes ownership.
        (await kubectl.RunAsync("apply", "--server-side", "--field-manager=beta", "--force-conflicts", "-f", other)).ShouldSucceed();
        var forced = JsonNode.Parse((await kubectl.RunAsync("get", "cm", "cfg", "-o", "json", "--show-managed-fields")).ShouldSucceed().Stdout)!;
        Assert.Equal("value2", (string?)forced["data"]!["key"]);
        var managers = forced["metadata"]!["managedFields"]!.AsArray().Select(m => ((string?)m!["manager"], (string?)m["operation"])).ToList();
        Assert.Contains(("beta", "Apply"), managers);
        Assert.DoesNotContain(managers, m => m.Item1 == "alpha");
    }

    [Fact]
    public async Task Diff_exits_1_with_changes_and_0_without_and_writes_nothing()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var kubectl = new KubectlRunner(cluster.KubeconfigPath);
        var file = kubectl.WriteFile("app.yaml", Manifests.App());
        (await kubectl.RunAsync("apply", "-f", file)).ShouldSucceed();
        var rv = cluster.ResourceVersion;
        await Eventually.TrueAsync(async () =>
        {
            var current = cluster.ResourceVersion;
            await Task.Delay(300);
            return current == cluster.ResourceVersion;
        }, "controllers settle");
        rv = cluster.ResourceVersion;

        var same = await kubectl.RunAsync("diff", "-f", file);
        Assert.True(same.ExitCode == 0, same.ToString());
        Assert.Equal(string.Empty, same.Stdout);

        File.WriteAllText(file, Manifests.App(value: "value2"));
        var different = await kubectl.RunAsync("diff", "-f", file);
        Assert.True(different.ExitCode == 1, different.ToString());
        Assert.Contains("-  key: value1", different.Stdout, StringComparison.Ordinal);
        Assert.Contains("+  key: value2", different.Stdout, StringComparison.Ordinal);
        Assert.Equal(rv, cluster.ResourceVersion);
    }

    [Fact]
    public async Task Delete_file_waits_until_everything_including_the_namespace_is_gone()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var kubectl = new KubectlRunner(cluster.KubeconfigPath);
        var file = kubectl.WriteFile("app.yaml", Manifests.App());
        (await kubectl.RunAsync("apply", "-f", file)).ShouldSucceed();
        var deleted = (await kubectl.RunAsync(["delete", "-f", file, "--timeout=60s"], null, TimeSpan.FromSeconds(90))).ShouldSucceed();
        Assert.Equal("namespace \"x\" deleted\nconfigmap \"cfg\" deleted\ndeployment.apps \"web\" deleted\n", deleted.Stdout);
        var get = await kubectl.RunAsync("get", "namespace", "x");
        Assert.Equal(1, get.ExitCode);
        Assert.Contains("namespaces \"x\" not found", get.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_generators_send_protobuf_and_work()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var kubectl = new KubectlRunner(cluster.KubeconfigPath);
        Assert.Equal("namespace/y created\n", (await kubectl.RunAsync("create", "namespace", "y")).ShouldSucceed().Stdout);
        Assert.Contains(cluster.Requests.Snapshot(), r => r.Verb == "create" && r.ContentType == "application/vnd.kubernetes.protobuf");
        var again = await kubectl.RunAsync("create", "namespace", "y");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("Error from server (AlreadyExists): namespaces \"y\" already exists", again.Stderr, StringComparison.Ordinal);

        (await kubectl.RunAsync("create", "configmap", "c1", "--from-literal=a=b", "-n", "y")).ShouldSucceed();
        (await kubectl.RunAsync("create", "secret", "generic", "s1", "--from-literal=a=b", "-n", "y")).ShouldSucceed();
        (await kubectl.RunAsync("create", "deployment", "d1", "--image=nginx:1.27", "-n", "y")).ShouldSucceed();
        var cm = JsonNode.Parse((await kubectl.RunAsync("get", "cm", "c1", "-n", "y", "-o", "json")).ShouldSucceed().Stdout)!;
        Assert.Equal("b", (string?)cm["data"]!["a"]);
        var secret = JsonNode.Parse((await kubectl.RunAsync("get", "secret", "s1", "-n", "y", "-o", "json")).ShouldSucceed().Stdout)!;
        Assert.Equal("Yg==", (string?)secret["data"]!["a"]);
        Assert.Equal("Opaque", (string?)secret["type"]);
        (await kubectl.RunAsync("rollout", "status", "deployment/d1", "-n", "y", "--timeout=60s")).ShouldSucceed();
    }

    [Fact]
    public async Task Server_side_apply_of_unknown_field_reports_field_not_declared_in_schema()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var kubectl = new KubectlRunner(cluster.KubeconfigPath);
        var file = kubectl.WriteFile("bad.yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              namespace: default
              replicas: 3
            spec:
              selector:
                matchLabels: {app: web}
              template:
                metadata:
                  labels: {app: web}
                spec:
                  containers:
                  - name: nginx
                    image: nginx
            """);
        var ssa = await kubectl.RunAsync("apply", "--server-side", "-f", file);
        Assert.Equal(1, ssa.ExitCode);
        Assert.Contains("failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .metadata.replicas: field not declared in schema", ssa.Stderr, StringComparison.Ordinal);

        var csa = await kubectl.RunAsync("apply", "-f", file);
        Assert.Equal(1, csa.ExitCode);
        Assert.Contains("strict decoding error: unknown field \"metadata.replicas\"", csa.Stderr, StringComparison.Ordinal);
    }
}
