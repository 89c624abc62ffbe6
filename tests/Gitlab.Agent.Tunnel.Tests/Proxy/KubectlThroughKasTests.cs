using System.Security.Cryptography;
using System.Text;
using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.Tunnel.Tests.Infrastructure;
using k8s;
using k8s.Models;

namespace Gitlab.Agent.Tunnel.Tests.Proxy;

/// <summary>Real kubectl → KAS Kubernetes API proxy → tunnel → agent → in-process cluster, for every agent transport.</summary>
public sealed class KubectlThroughKasTests
{
    internal const string CiAccessConfig = """
        ci_access:
          projects:
          - id: group/app
            default_namespace: apps
        """;

    public static TheoryData<KasTransport> Transports => [KasTransport.Grpc, KasTransport.Grpcs, KasTransport.Ws, KasTransport.Wss];

    private static async Task EnsureNamespaceAsync(ProxyEnvironment env, string name)
    {
        using var admin = env.Cluster.CreateClient();
        await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Get_uses_the_context_namespace_of_the_job_kubeconfig(KasTransport transport)
    {
        await using var env = await ProxyEnvironment.StartAsync(transport, CiAccessConfig);
        await EnsureNamespaceAsync(env, "apps");
        using (var admin = env.Cluster.CreateClient())
        {
            await admin.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "settings" }, Data = new Dictionary<string, string> { ["a"] = "b" } }, "apps");
        }

        var (kubeconfig, _) = await env.JobKubeconfigAsync();

        var namespaces = await env.KubectlAsync(kubeconfig, "get", "namespaces", "-o", "name");
        Assert.True(namespaces.ExitCode == 0, namespaces + "\n" + env.Logs);
        Assert.Contains("namespace/kube-system", namespaces.Stdout, StringComparison.Ordinal);

        var configMaps = await env.KubectlAsync(kubeconfig, "get", "configmaps", "-o", "name");
        Assert.True(configMaps.ExitCode == 0, configMaps.ToString());
        Assert.Contains("configmap/settings", configMaps.Stdout, StringComparison.Ordinal);

        var context = await env.KubectlAsync(kubeconfig, "config", "current-context");
        Assert.Equal("group/agent-config:my-agent", context.Stdout.Trim());
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Get_watch_prints_a_change_made_while_watching(KasTransport transport)
    {
        await using var env = await ProxyEnvironment.StartAsync(transport, CiAccessConfig);
        await EnsureNamespaceAsync(env, "apps");
        using var admin = env.Cluster.CreateClient();
        await admin.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "first" } }, "apps");
        var (kubeconfig, _) = await env.JobKubeconfigAsync();

        using var watch = new KubectlProcess(kubeconfig, "get", "configmaps", "-w", "-o", "name");
        await watch.WaitForLineAsync(l => l == "configmap/first", "initial list");
        await Task.Delay(1000);
        await admin.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "second" } }, "apps");

        await watch.WaitForLineAsync(l => l == "configmap/second", "the change arrives through the watch");
        Assert.False(watch.HasExited, watch.Stderr);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Apply_server_side_creates_and_updates_through_kas(KasTransport transport)
    {
        await using var env = await ProxyEnvironment.StartAsync(transport, CiAccessConfig);
        await EnsureNamespaceAsync(env, "apps");
        var (kubeconfig, _) = await env.JobKubeconfigAsync();
        const string Manifest = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: applied
            data:
              color: {0}
            """;

        var create = await Kubectl.RunAsync(kubeconfig, ["apply", "--server-side", "-f", "-"], string.Format(Manifest, "blue"));
        Assert.True(create.ExitCode == 0, create + "\n" + env.Logs);
        var update = await Kubectl.RunAsync(kubeconfig, ["apply", "--server-side", "-f", "-"], string.Format(Manifest, "green"));
        Assert.True(update.ExitCode == 0, update.ToString());

        using var admin = env.Cluster.CreateClient();
        var cm = await admin.CoreV1.ReadNamespacedConfigMapAsync("applied", "apps");
        Assert.Equal("green", cm.Data["color"]);
        Assert.Contains(cm.Metadata.ManagedFields, f => f.Manager == "kubectl" && f.Operation == "Apply");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Logs_follow_streams_lines_as_they_are_written(KasTransport transport)
    {
        await using var env = await StartWithRunningPodAsync(transport, "web-0");
        env.Cluster.SetPodLogs("apps", "web-0", "line 1\n");
        var (kubeconfig, _) = await env.JobKubeconfigAsync();

        using var follow = new KubectlProcess(kubeconfig, "logs", "-f", "web-0");
        await follow.WaitForLineAsync(l => l == "line 1", "existing log line");
        await Task.Delay(1500);
        env.Cluster.AppendPodLogs("apps", "web-0", "line 2\n");
        await follow.WaitForLineAsync(l => l == "line 2", "appended line is flushed through the proxy at once");
        env.Cluster.ClosePodLogs("apps", "web-0");

        Assert.Equal(0, await follow.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Exec_returns_output_and_exit_code(KasTransport transport)
    {
        await using var env = await StartWithRunningPodAsync(transport, "web-0");
        env.Cluster.ExecHandler = async (request, session, ct) =>
        {
            if (request.Command is ["cat"])
            {
                var input = await session.ReadInputToEndAsync();
                await session.WriteOutputAsync(input.ToUpperInvariant());
                return 0;
            }

            await session.WriteOutputAsync($"ran {string.Join(' ', request.Command)}\n");
            await session.WriteErrorAsync("warning on stderr\n");
            return 3;
        };
        var (kubeconfig, _) = await env.JobKubeconfigAsync();

        var failing = await Kubectl.RunAsync(kubeconfig, ["exec", "web-0", "--", "do", "it"]);
        Assert.True(failing.ExitCode == 3, failing + "\n" + env.Logs);
        Assert.Equal("ran do it\n", failing.Stdout);
        Assert.Contains("warning on stderr", failing.Stderr, StringComparison.Ordinal);
        Assert.Contains("command terminated with exit code 3", failing.Stderr, StringComparison.Ordinal);

        var cat = await Kubectl.RunAsync(kubeconfig, ["exec", "-i", "web-0", "--", "cat"], "hello through the tunnel\n");
        Assert.True(cat.ExitCode == 0, cat.ToString());
        Assert.Equal("HELLO THROUGH THE TUNNEL\n", cat.Stdout);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Attach_prints_the_output_of_the_running_container(KasTransport transport)
    {
        await using var env = await StartWithRunningPodAsync(transport, "web-0");
        env.Cluster.AttachHandler = async (request, session, ct) =>
        {
            await session.WriteOutputAsync($"{request.Pod}/{request.Container} is serving\n");
            await session.WriteErrorAsync("warning on stderr\n");
            return 0;
        };
        var (kubeconfig, _) = await env.JobKubeconfigAsync();

        var attach = await Kubectl.RunAsync(kubeconfig, ["attach", "web-0"]);
        Assert.True(attach.ExitCode == 0, attach + "\n" + env.Logs);
        Assert.Equal("web-0/nginx is serving\n", attach.Stdout);
        Assert.Contains("warning on stderr", attach.Stderr, StringComparison.Ordinal);
        await Eventually.WaitAsync(() => env.Cluster.Requests.Snapshot().Any(r => r.Subresource == "attach" && r.StatusCode == 101), "the attach request is logged once its WebSocket closed");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Fifty_megabyte_list_arrives_byte_for_byte(KasTransport transport)
    {
        await using var env = await ProxyEnvironment.StartAsync(transport, CiAccessConfig);
        await EnsureNamespaceAsync(env, "big");
        using (var admin = env.Cluster.CreateClient())
        {
            var value = new string('x', 1_000_000);
            for (var i = 0; i < 50; i++)
            {
                await admin.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"blob-{i:D2}" }, Data = new Dictionary<string, string> { ["v"] = value } }, "big");
            }
        }

        var (kubeconfig, _) = await env.JobKubeconfigAsync();
        const string Path = "/api/v1/namespaces/big/configmaps";

        // kubectl --raw takes the path as absolute: it includes the proxy's prefix.
        var viaKas = await Kubectl.RunAsync(kubeconfig, ["get", "--raw", "/k8s-proxy" + Path], timeout: TimeSpan.FromMinutes(3));
        var direct = await Kubectl.RunAsync(env.Cluster.KubeconfigPath, ["get", "--raw", Path], timeout: TimeSpan.FromMinutes(3));

        Assert.True(viaKas.ExitCode == 0, viaKas.Stderr + "\n" + env.Logs);
        Assert.True(viaKas.Stdout.Length > 50_000_000, $"got {viaKas.Stdout.Length} bytes");
        Assert.Equal(Sha(direct.Stdout), Sha(viaKas.Stdout));

        var typed = await Kubectl.RunAsync(kubeconfig, ["get", "configmaps", "-n", "big", "-o", "name"], timeout: TimeSpan.FromMinutes(3));
        Assert.Equal(50, typed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.StartsWith("configmap/blob-", StringComparison.Ordinal)));
    }

    private static string Sha(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Starts the environment with namespace <c>apps</c> holding a Running pod <paramref name="pod"/> (container <c>nginx</c>).</summary>
    internal static async Task<ProxyEnvironment> StartWithRunningPodAsync(KasTransport transport, string pod)
    {
        var env = await ProxyEnvironment.StartAsync(transport, CiAccessConfig);
        try
        {
            await EnsureNamespaceAsync(env, "apps");
            await CreatePodAsync(env, pod);
            return env;
        }
        catch
        {
            await env.DisposeAsync();
            throw;
        }
    }

    internal static async Task CreatePodAsync(ProxyEnvironment env, string name, string ns = "apps")
    {
        using var admin = env.Cluster.CreateClient();
        await admin.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "nginx", Image = "nginx" }] },
        }, ns);
        await Eventually.TrueAsync(async () => (await admin.CoreV1.ReadNamespacedPodAsync(name, ns)).Status?.Phase == "Running", $"pod {name} is Running");
    }
}
