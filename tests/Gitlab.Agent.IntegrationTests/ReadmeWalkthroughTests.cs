using System.Text.Json.Nodes;
using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.TestUtilities.Git;
using k8s;

namespace Gitlab.Agent.IntegrationTests;

/// <summary>
/// The README's "Deploy from a manifest project" steps, run as a newcomer would: the built sample hosts as separate
/// processes (the <c>kas</c> CLI, <c>kas</c> serving <c>samples/kas/kas.yaml</c>, <c>samples/test-cluster</c>,
/// <c>samples/agentk</c>), a bare repository pushed with git, and a stop through SIGTERM.
/// </summary>
public sealed class ReadmeWalkthroughTests
{
    private const string AgentConfig = """
        gitops:
          manifest_projects:
          - default_namespace: demo
            paths:
            - glob: '/deploy/**/*.yaml'
        """;

    private const string NamespaceManifest = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: demo
        """;

    private const string DeploymentManifest = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: nginx
        spec:
          replicas: 1
          selector:
            matchLabels: {app: nginx}
          template:
            metadata:
              labels: {app: nginx}
            spec:
              containers:
              - name: nginx
                image: nginx:1.27
        """;

    [Fact]
    public async Task Sample_hosts_deploy_a_manifest_project_and_stop_on_sigterm()
    {
        using var dir = new TempDirectory("readme-walkthrough");
        var kas = RepositoryPaths.SampleAssembly("kas");

        // The sample configuration, on ports chosen at run time.
        var sampleConfig = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root(), "samples", "kas", "kas.yaml"));
        foreach (var port in new[] { "8150", "8151", "8153", "8154" })
        {
            sampleConfig = sampleConfig.Replace("127.0.0.1:" + port, "127.0.0.1:0", StringComparison.Ordinal);
        }

        await File.WriteAllTextAsync(dir.Combine("kas.yaml"), sampleConfig);

        // 1. Register the agent and create its token with the kas CLI.
        var create = await ProcessRunner.RunAsync("dotnet", [kas, "agents", "create", "--project", "group/cluster", "--name", "my-agent"], workingDirectory: dir.Path);
        Assert.True(create.ExitCode == 0, create.ToString());
        Assert.Contains("Created agent my-agent (id 1)", create.Stdout + create.Stderr);
        var token = await ProcessRunner.RunAsync("dotnet", [kas, "tokens", "create", "--agent-id", "1", "--name", "t1"], workingDirectory: dir.Path);
        Assert.True(token.ExitCode == 0, token.ToString());
        Assert.StartsWith("glagent-", token.Stdout.Trim());
        await File.WriteAllTextAsync(dir.Combine("token"), token.Stdout);

        // 2. The configuration project: agent config + manifests, pushed to the bare repository KAS serves.
        Directory.CreateDirectory(dir.Combine("data", "repositories", "group"));
        await GitCli.RunAsync(dir.Path, "init", "--bare", "--initial-branch=main", "data/repositories/group/cluster.git");
        await GitCli.RunAsync(dir.Path, "clone", "data/repositories/group/cluster.git", "work");
        var work = dir.Combine("work");
        Directory.CreateDirectory(Path.Combine(work, ".gitlab", "agents", "my-agent"));
        Directory.CreateDirectory(Path.Combine(work, "deploy"));
        await File.WriteAllTextAsync(Path.Combine(work, ".gitlab", "agents", "my-agent", "config.yaml"), AgentConfig);
        await File.WriteAllTextAsync(Path.Combine(work, "deploy", "namespace.yaml"), NamespaceManifest);
        await File.WriteAllTextAsync(Path.Combine(work, "deploy", "nginx.yaml"), DeploymentManifest);
        await GitCli.RunAsync(work, "add", "-A");
        await GitCli.RunAsync(work, "commit", "-m", "agent configuration and nginx");
        await GitCli.RunAsync(work, "push", "origin", "main");

        // 3. KAS, a cluster and agentk, each its own process.
        await using var kasHost = HostProcess.Start("dotnet", [kas], dir.Path);
        var agentLine = await kasHost.WaitForLineAsync(l => l.Contains("Listening for agentk connections on grpc://", StringComparison.Ordinal), "KAS listens for agents");
        var agentAddress = ExtractUrl(agentLine, "grpc://");
        var apiLine = await kasHost.WaitForLineAsync(l => l.Contains("Listening for api connections on http://", StringComparison.Ordinal), "KAS listens on the api listener");
        var apiAddress = ExtractUrl(apiLine, "http://");

        await using var clusterHost = HostProcess.Start("dotnet", [RepositoryPaths.SampleAssembly("test-cluster"), "--kubeconfig", dir.Combine("kubeconfig")], dir.Path);
        await clusterHost.WaitForLineAsync(l => l == "ready", "the test cluster is ready");

        await using var agentkHost = HostProcess.Start("dotnet",
            [RepositoryPaths.SampleAssembly("agentk"), "--kas-address", agentAddress, "--token-file", "token", "--kubeconfig", "kubeconfig"], dir.Path);

        // The Deployment arrives in the cluster and KAS reports the project synced at the pushed commit.
        var commit = await GitCli.RunAsync(work, "rev-parse", "HEAD");
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(dir.Combine("kubeconfig")));
        using var http = new HttpClient { BaseAddress = new Uri(apiAddress) };
        JsonNode? state = null;
        await Eventually.TrueAsync(async () =>
        {
            state = JsonNode.Parse(await http.GetStringAsync("/api/v4/agents/1/gitops/sync-state"));
            return state is JsonArray { Count: 1 } array && array[0]!["status"]!.GetValue<string>() == "synced" && array[0]!["commit_id"]!.GetValue<string>() == commit;
        }, "KAS reports group/cluster synced at the pushed commit", TimeSpan.FromMinutes(2));
        var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync("nginx", "demo");
        Assert.Equal("nginx:1.27", deployment.Spec.Template.Spec.Containers[0].Image);
        Assert.Contains(agentkHost.Output.Split('\n'), l => l.Contains("\"msg\":\"Synced\"", StringComparison.Ordinal) && l.Contains("\"resource_key\":\"apps/Deployment/demo/nginx\"", StringComparison.Ordinal));

        // Every host stops cleanly on SIGTERM.
        Assert.Equal(0, await agentkHost.StopAsync());
        Assert.Equal(0, await kasHost.StopAsync());
        Assert.Equal(0, await clusterHost.StopAsync());
    }

    private static string ExtractUrl(string line, string scheme)
    {
        var start = line.IndexOf(scheme, StringComparison.Ordinal);
        var end = line.IndexOfAny(['"', ' ', '\\'], start);
        return line[start..end].TrimEnd('/');
    }
}
