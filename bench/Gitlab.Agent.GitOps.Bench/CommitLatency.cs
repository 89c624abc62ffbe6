using System.Diagnostics;
using Gitlab.Agent.GitOps.Agent;
using Gitlab.Agent.Kas;
using Gitlab.Agent.Testing;
using Gitlab.Agent.TestUtilities;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.GitOps.Bench;

/// <summary>
/// Commit → applied latency: a real KAS (bare repositories, push notification through <c>POST /-/refresh/&lt;project&gt;</c>),
/// a real agentk with GitOps, and the test cluster. Each sample commits a changed ConfigMap and waits until the cluster has it.
/// </summary>
internal static class CommitLatency
{
    public static async Task<List<double>> MeasureAsync(int samples)
    {
        // Poll periods of five minutes: every sample is driven by the push notification. No KAS logs.
        await using var kas = await KasTestHost.StartAsync(
            c => c.Agent.Gitops = new Protocol.KasCfg.GitopsCF { PollPeriod = Duration.FromTimeSpan(TimeSpan.FromMinutes(5)) },
            (builder, _) => builder.AddGitOps(),
            pollPeriod: TimeSpan.FromMinutes(5),
            logLevel: LogLevel.None);
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var kubernetes = cluster.CreateClient();
        var client = new KubernetesDynamicClient(kubernetes);
        var configMaps = (await client.ResolveAsync("v1", "ConfigMap", CancellationToken.None))!;

        var (_, token) = await kas.CreateAgentAsync("bench/project", "agent1");
        using var repository = await kas.CreateRepositoryAsync("bench/project");
        await repository.CommitAsync(new Dictionary<string, string?>
        {
            [".gitlab/agents/agent1/config.yaml"] = "gitops:\n  manifest_projects:\n  - default_namespace: default\n",
            ["latency.yaml"] = Manifest(0),
        });

        var addresses = kas.Addresses;
        var agentBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        agentBuilder.Logging.ClearProviders();
        agentBuilder.Services.AddAgentk(o =>
        {
            o.KasAddress = $"grpc://127.0.0.1:{addresses.Get(KasListener.Agent)!.Port}";
            o.Token = token.Secret;
            o.Kubeconfig = cluster.KubeconfigPath;
            o.PodNamespace = "gitlab-agent";
            o.PodName = "agentk-0";
        }).AddGitOps();
        using var agentk = agentBuilder.Build();
        await agentk.StartAsync();
        using var http = new HttpClient { BaseAddress = new UriBuilder(addresses.Get(KasListener.Api)!) { Scheme = "http" }.Uri };

        await WaitForAsync(client, configMaps, "0");
        var latencies = new List<double>();
        for (var i = 1; i <= samples; i++)
        {
            await repository.CommitAsync(new Dictionary<string, string?> { ["latency.yaml"] = Manifest(i) });
            var sw = Stopwatch.StartNew();
            using (var response = await http.PostAsync("/-/refresh/bench/project", null))
            {
                response.EnsureSuccessStatusCode();
            }

            await WaitForAsync(client, configMaps, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            latencies.Add(sw.Elapsed.TotalMilliseconds);
            await Task.Delay(100);
        }

        await agentk.StopAsync();
        return latencies;
    }

    private static string Manifest(int generation) =>
        $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: latency\ndata:\n  generation: \"{generation}\"\n";

    private static async Task WaitForAsync(KubernetesDynamicClient client, ApiResource configMaps, string generation)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await client.GetAsync(configMaps, "default", "latency", CancellationToken.None))?["data"]?["generation"]?.GetValue<string>() != generation)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"generation {generation} was not applied within 60 s");
            }

            await Task.Delay(10);
        }
    }
}
