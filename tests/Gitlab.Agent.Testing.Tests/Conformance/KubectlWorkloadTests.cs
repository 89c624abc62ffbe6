using System.Text;
using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.Testing.Tests.Infrastructure;

namespace Gitlab.Agent.Testing.Tests.Conformance;

/// <summary>kubectl rollout status, wait, scale, logs, exec, attach and get -w against the built-in controllers.</summary>
public sealed class KubectlWorkloadTests
{
    [Fact]
    public async Task Rollout_status_and_wait_complete_once_the_controller_reports_ready()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var kubectl = new KubectlRunner(cluster.KubeconfigPath);
        (await kubectl.RunAsync("apply", "-f", kubectl.WriteFile("app.yaml", Manifests.App()))).ShouldSucceed();
        var rollout = (await kubectl.RunAsync("rollout", "status", "deployment/web", "-n", "x", "--timeout=60s")).ShouldSucceed();
        Assert.Contains("deployment \"web\" successfully rolled out", rollout.Stdout, StringComparison.Ordinal);
        var wait = (await kubectl.RunAsync("wait", "--for=condition=Available", "deployment/web", "-n", "x", "--timeout=60s")).ShouldSucceed();
        Assert.Contains("deployment.apps/web condition met", wait.Stdout, StringComparison.Ordinal);
        var table = (await kubectl.RunAsync("get", "deploy", "-n", "x")).ShouldSucceed();
        Assert.Contains(table.Stdout.Split('\n'), l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["web", "2/2", "2", "2", _]);
    }

    [Fact]
    public async Task Scale_goes_through_the_scale_subresource()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var kubectl = new KubectlRunner(cluster.KubeconfigPath);
        (await kubectl.RunAsync("apply", "-f", kubectl.WriteFile("app.yaml", Manifests.App()))).ShouldSucceed();
        var scale = (await kubectl.RunAsync("scale", "deployment", "web", "-n", "x", "--replicas=5")).ShouldSucceed();
        Assert.Contains("deployment.apps/web scaled", scale.Stdout, StringComparison.Ordinal);
        Assert.Contains(cluster.Requests.Snapshot(), r => r.Method == "PATCH" && r.Subresource == "scale" && r.StatusCode == 200);
        using var client = cluster.CreateClient();
        await Eventually.TrueAsync(async () =>
        {
            var d = await k8s.AppsV1OperationsExtensions.ReadNamespacedDeploymentAsync(client.AppsV1, "web", "x");
            return d.Spec.Replicas == 5 && d.Status?.ReadyReplicas == 5 && d.Metadata.Generation == 2;
        }, "deployment scaled to 5 and ready");
    }

    [Fact]
    public async Task Logs_prints_test_provided_content_and_follow_streams_appends()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var kubectl = new KubectlRunner(cluster.KubeconfigPath);
        (await kubectl.RunAsync("apply", "-f", kubectl.WriteFile("pod.yaml", Manifests.Pod()))).ShouldSucceed();
        cluster.SetPodLogs("default", "web-0", "line 1\nline 2\n");
        var logs = (await kubectl.RunAsync("logs", "web-0")).ShouldSucceed();
        Assert.Equal("line 1\nline 2\n", logs.Stdout);
        var tail = (await kubectl.RunAsync("logs", "web-0", "--tail=1")).ShouldSucceed();
        Assert.Equal("line 2\n", tail.Stdout);

        using var follow = kubectl.Start("logs", "-f", "web-0");
        await follow.WaitForLineAsync(l => l == "line 2", TimeSpan.FromSeconds(30));
        cluster.AppendPodLogs("default", "web-0", "line 3\n");
        await follow.WaitForLineAsync(l => l == "line 3", TimeSpan.FromSeconds(30));
        cluster.ClosePodLogs("default", "web-0");
        await Eventually.TrueAsync(() => Task.FromResult(follow.HasExited), "kubectl logs -f exits when the log closes");
    }

    [Fact]
    public async Task Exec_runs_the_test_handler_and_propagates_output_and_exit_code()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        cluster.ExecHandler = async (request, session, ct) =>
        {
            if (request.Command is ["ls", "/"])
            {
                await session.WriteOutputAsync("bin\netc\n");
                return 0;
            }

            if (request.Command is ["cat"])
            {
                var input = await session.ReadInputToEndAsync();
                await session.WriteOutputAsync(input.ToUpperInvariant());
                return 0;
            }

            await session.WriteErrorAsync($"{request.Container}: {string.Join(" ", request.Command)}: not found\n");
            return 3;
        };
        using var kubectl = new KubectlRunner(cluster.KubeconfigPath);
        (await kubectl.RunAsync("apply", "-f", kubectl.WriteFile("pod.yaml", Manifests.Pod()))).ShouldSucceed();
        await cluster.WaitForRunningPodAsync("web-0");

        var ls = (await kubectl.RunAsync("exec", "web-0", "--", "ls", "/")).ShouldSucceed();
        Assert.Equal("bin\netc\n", ls.Stdout);

        var cat = (await kubectl.RunAsync(["exec", "-i", "web-0", "--", "cat"], "hello\n", TimeSpan.FromSeconds(60))).ShouldSucceed();
        Assert.Equal("HELLO\n", cat.Stdout);

        var missing = await kubectl.RunAsync("exec", "web-0", "--", "nope", "x");
        Assert.Equal(3, missing.ExitCode);
        Assert.Contains("nginx: nope x: not found", missing.Stderr, StringComparison.Ordinal);
        Assert.Contains("command terminated with exit code 3", missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attach_prints_what_the_handler_writes_and_exits_zero()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        var requests = new List<ExecRequest>();
        cluster.AttachHandler = async (request, session, ct) =>
        {
            lock (requests)
            {
                requests.Add(request);
            }

            await session.WriteOutputAsync("listening on :80\nGET / 200\n");
            await session.WriteErrorAsync("worker exited\n");
            return 7; // a kubelet ends an attach with Success whatever the container's exit code
        };
        using var kubectl = new KubectlRunner(cluster.KubeconfigPath);
        (await kubectl.RunAsync("apply", "-f", kubectl.WriteFile("pod.yaml", Manifests.Pod()))).ShouldSucceed();
        await cluster.WaitForRunningPodAsync("web-0");

        var attach = (await kubectl.RunAsync("attach", "web-0")).ShouldSucceed();
        Assert.Equal("listening on :80\nGET / 200\n", attach.Stdout);
        Assert.Contains("worker exited", attach.Stderr, StringComparison.Ordinal);
        var request = Assert.Single(requests);
        Assert.Equal(("default", "web-0", "nginx", false, false), (request.Namespace, request.Pod, request.Container, request.Stdin, request.Tty));
        Assert.Empty(request.Command);
        await Eventually.WaitAsync(() => cluster.Requests.Snapshot().Any(r => r.Subresource == "attach" && r.StatusCode == 101), "the attach request is logged once its WebSocket closed");
    }

    [Fact]
    public async Task Attach_without_a_handler_or_to_a_completed_pod_fails_clearly()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var kubectl = new KubectlRunner(cluster.KubeconfigPath);
        (await kubectl.RunAsync("apply", "-f", kubectl.WriteFile("pod.yaml", Manifests.Pod()))).ShouldSucceed();
        await cluster.WaitForRunningPodAsync("web-0");

        var noHandler = await kubectl.RunAsync("attach", "web-0");
        Assert.NotEqual(0, noHandler.ExitCode);
        Assert.Contains("no attach handler is configured on the test API server", noHandler.Stderr, StringComparison.Ordinal);

        using var raw = new RawApi(cluster);
        var (patched, _, _) = await raw.PatchAsync("/api/v1/namespaces/default/pods/web-0/status", """{"status":{"phase":"Succeeded"}}""", "application/merge-patch+json");
        Assert.Equal(200, patched);
        var completed = await kubectl.RunAsync("attach", "web-0");
        Assert.NotEqual(0, completed.ExitCode);
        Assert.Contains("completed pod", completed.Stderr, StringComparison.Ordinal);
        var (code, body, _) = await raw.GetAsync("/api/v1/namespaces/default/pods/web-0/attach?stdout=true");
        Assert.Equal(400, code);
        Assert.Equal("cannot attach to pod web-0: it is not running; current phase is Succeeded", (string?)body!["message"]);
    }

    [Fact]
    public async Task Get_watch_prints_updates_as_they_happen()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var kubectl = new KubectlRunner(cluster.KubeconfigPath);
        (await kubectl.RunAsync("create", "-f", kubectl.WriteFile("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n"))).ShouldSucceed();
        using var watch = kubectl.Start("get", "configmaps", "-w");
        await watch.WaitForLineAsync(l => l.StartsWith("a ", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        using var client = cluster.CreateClient();
        var cm = await k8s.CoreV1OperationsExtensions.ReadNamespacedConfigMapAsync(client.CoreV1, "a", "default");
        cm.Data["k2"] = "v2";
        await k8s.CoreV1OperationsExtensions.ReplaceNamespacedConfigMapAsync(client.CoreV1, cm, "a", "default");
        await watch.WaitForLineAsync(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["a", "2", _], TimeSpan.FromSeconds(30));
        Assert.Equal("NAME", watch.Lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]);
        Assert.Single(watch.Lines, l => l.StartsWith("NAME", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Get_with_label_selector_filters_rows()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var kubectl = new KubectlRunner(cluster.KubeconfigPath);
        var manifest = new StringBuilder();
        foreach (var (name, app) in new[] { ("a", "web"), ("b", "db"), ("c", "web") })
        {
            manifest.Append($"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  labels:\n    app: {app}\n---\n");
        }

        (await kubectl.RunAsync("create", "-f", kubectl.WriteFile("cms.yaml", manifest.ToString()))).ShouldSucceed();
        var result = (await kubectl.RunAsync("get", "cm", "-l", "app in (web)", "-o", "name")).ShouldSucceed();
        Assert.Equal("configmap/a\nconfigmap/c\n", result.Stdout);
        var bad = await kubectl.RunAsync("get", "pods", "--field-selector", "spec.foo=bar");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("field label not supported: spec.foo", bad.Stderr, StringComparison.Ordinal);
    }
}
