using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gitlab.Agent.TestUtilities;
using k8s;
using Quickstart;

namespace Gitlab.Agent.Management.Tests.Quickstart;

public sealed class QuickstartSmokeTests
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(4);

    private static async Task<(QuickstartSummary Summary, string Output)> RunUntilReadyAsync(
        string stateDirectory, Func<QuickstartSummary, Task>? whileRunning = null, string? kubeconfig = null)
    {
        var options = new QuickstartOptions
        {
            StateDirectory = stateDirectory, Kubeconfig = kubeconfig, ApiPort = 0, AgentPort = 0, KubernetesApiPort = 0, ReadyTimeout = ReadyTimeout,
        };
        var output = new StringWriter();
        var runner = new QuickstartRunner(options, TextWriter.Synchronized(output));
        using var stop = new CancellationTokenSource();
        var run = runner.RunAsync(stop.Token);
        var finished = await Task.WhenAny(runner.Ready, run, Task.Delay(ReadyTimeout + TimeSpan.FromMinutes(1)));
        Assert.True(finished == runner.Ready && runner.Ready.IsCompletedSuccessfully, "the quickstart did not become ready:\n" + output);
        var summary = await runner.Ready;
        if (whileRunning is not null)
        {
            await whileRunning(summary);
        }

        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromMinutes(1)));
        return (summary, output.ToString());
    }

    [Fact]
    public async Task Quickstart_reaches_synced_serves_the_ui_and_resumes_on_rerun()
    {
        using var state = new TempDirectory("quickstart");

        var (first, firstOutput) = await RunUntilReadyAsync(state.Path, async summary =>
        {
            // The agent was registered through GraphQL and is connected; the UI serves its page.
            using var http = new HttpClient { BaseAddress = summary.ApiAddress };
            http.DefaultRequestHeaders.Authorization = new("Bearer", summary.PersonalAccessToken);
            using var response = await http.PostAsJsonAsync("/api/graphql", new
            {
                query = "{ project(fullPath: \"quickstart/demo\") { clusterAgents { nodes { name connectionStatus } } } }",
            });
            var agent = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]!["project"]!["clusterAgents"]!["nodes"]![0]!;
            Assert.Equal("quickstart", agent["name"]!.GetValue<string>());
            Assert.Equal("CONNECTED", agent["connectionStatus"]!.GetValue<string>());

            // The example is really in the cluster.
            using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(summary.Kubeconfig));
            var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync("nginx", "demo");
            Assert.Equal(2, deployment.Status.AvailableReplicas);

            // The real kubectl reaches the cluster through KAS (Kubernetes API proxy + agentk's reverse tunnel) with the user's PAT.
            Assert.NotNull(summary.KasKubeconfig);
            Assert.Contains("pat:", await File.ReadAllTextAsync(summary.KasKubeconfig));
            using var home = new TempDirectory("kubectl-home");
            var kubectl = await ProcessRunner.RunAsync("/usr/bin/kubectl",
                ["get", "deployment", "nginx", "-n", "demo", "-o", "jsonpath={.status.availableReplicas}", "--kubeconfig", summary.KasKubeconfig, "--cache-dir", home.Combine("cache")],
                env: new Dictionary<string, string> { ["HOME"] = home.Path });
            Assert.True(kubectl.ExitCode == 0, kubectl.ToString());
            Assert.Equal("2", kubectl.Stdout.Trim());
        });

        Assert.Contains("(example committed)", firstOutput);
        Assert.Contains("created through GraphQL", firstOutput);
        Assert.Contains("✓ Synced", firstOutput);
        Assert.Contains("✓ kubectl through KAS", firstOutput);
        Assert.Contains($"/-/ui/agents/{first.AgentId}", firstOutput);
        Assert.True(File.Exists(Path.Combine(state.Path, "cluster", "objects.json")), "the cluster state was not persisted");

        // A rerun resumes: same agent, same token, nothing committed or created again, objects still there.
        var (second, secondOutput) = await RunUntilReadyAsync(state.Path);

        Assert.Equal(first.AgentId, second.AgentId);
        Assert.Equal(first.PersonalAccessToken, second.PersonalAccessToken);
        Assert.DoesNotContain("(example committed)", secondOutput);
        Assert.DoesNotContain("created through GraphQL", secondOutput);
        Assert.Contains("✓ Synced", secondOutput);
    }

    [Fact]
    public async Task Quickstart_drives_an_external_cluster_given_with_kubeconfig()
    {
        using var state = new TempDirectory("quickstart-external");
        await using var cluster = await Gitlab.Agent.Testing.KubernetesApiServer.StartAsync();

        var (summary, output) = await RunUntilReadyAsync(state.Path, kubeconfig: cluster.KubeconfigPath);

        Assert.False(summary.InProcessCluster);
        Assert.Contains($"(from {cluster.KubeconfigPath})", output);
        Assert.False(Directory.Exists(Path.Combine(state.Path, "cluster")), "no in-process cluster should have been started");
        var deployment = await cluster.CreateClient().AppsV1.ReadNamespacedDeploymentAsync("nginx", "demo");
        Assert.Equal(2, deployment.Status.AvailableReplicas);
    }
}
