using System.Net.Http.Json;
using System.Text.Json;
using Gitlab.Agent.Cilium.Tests.Infrastructure;
using Gitlab.Agent.Testing;
using Gitlab.Agent.Testing.Hubble;
using Gitlab.Agent.TestUtilities;
using Eventually = Gitlab.Agent.TestUtilities.Eventually;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Cilium.Tests.EndToEnd;

/// <summary>
/// Everything real on loopback: the in-process Kubernetes API server with the CiliumNetworkPolicy CRD, the Hubble test
/// relay, KAS (AddKas + AddCilium, configuration from a bare git repository) and agentk (AddAgentk + AddCilium).
/// </summary>
public sealed class CiliumEndToEndTests : IAsyncLifetime
{
    private KubernetesApiServer _cluster = null!;
    private HubbleRelayTestServer _relay = null!;
    private KasTestHost _kas = null!;
    private IHost? _agent;

    public async Task InitializeAsync()
    {
        _cluster = await KubernetesApiServer.StartAsync();
        _relay = await HubbleRelayTestServer.StartAsync();
        // Configuration polled every second; repositories at KAS's default period; no KAS logs.
        _kas = await KasTestHost.StartAsync(
            c => c.Repositories.PollPeriod = null,
            (kas, directory) => kas.AddCilium(o => o.DatabasePath = directory.Combine("cilium-alerts.db")),
            logLevel: LogLevel.None);
    }

    public async Task DisposeAsync()
    {
        if (_agent is not null)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _agent.StopAsync(cts.Token);
            _agent.Dispose();
        }

        await _kas.DisposeAsync();
        await _relay.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Dropped_flow_travels_from_hubble_through_agentk_and_kas_into_the_alert_api()
    {
        // Cluster: the CRD, a namespace and an annotated policy.
        using var kubernetes = _cluster.CreateClient();
        await kubernetes.ApiextensionsV1.CreateCustomResourceDefinitionAsync(new V1CustomResourceDefinition
        {
            Metadata = new V1ObjectMeta { Name = "ciliumnetworkpolicies.cilium.io" },
            Spec = new V1CustomResourceDefinitionSpec
            {
                Group = "cilium.io",
                Scope = "Namespaced",
                Names = new V1CustomResourceDefinitionNames { Plural = "ciliumnetworkpolicies", Singular = "ciliumnetworkpolicy", Kind = "CiliumNetworkPolicy", ListKind = "CiliumNetworkPolicyList" },
                Versions = [new V1CustomResourceDefinitionVersion { Name = "v2", Served = true, Storage = true, Schema = new V1CustomResourceValidation { OpenAPIV3Schema = new V1JSONSchemaProps { Type = "object", XKubernetesPreserveUnknownFields = true } } }],
            },
        });
        await kubernetes.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "prod" } });
        var policy = JsonDocument.Parse(TestData.PolicyJson("db-ingress", TestData.DbIngressSpec)).RootElement;
        var body = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(policy.GetRawText())!;
        var metadata = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(body["metadata"].GetRawText())!;
        metadata.Remove("uid");
        metadata.Remove("resourceVersion");
        metadata.Remove("managedFields");
        body["metadata"] = JsonSerializer.SerializeToElement(metadata);
        await kubernetes.CustomObjects.CreateNamespacedCustomObjectAsync(body, "cilium.io", "v2", "prod", "ciliumnetworkpolicies");

        // KAS: agent registration and its configuration file with the relay address.
        var (agent, token) = await _kas.CreateAgentAsync("group/project", "agent1");
        using (var repository = await _kas.CreateRepositoryAsync("group/project"))
        {
            await repository.CommitFileAsync(".gitlab/agents/agent1/config.yaml", $"cilium:\n  hubble_relay_address: {_relay.HubbleRelayAddress}\n");
        }

        // agentk with the Cilium module, talking to the test cluster through a kubeconfig.
        var tokenFile = _kas.Directory.Combine("token");
        await File.WriteAllTextAsync(tokenFile, token.Secret);
        var agentBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        agentBuilder.Logging.ClearProviders();
        agentBuilder.Services.AddAgentk(o =>
        {
            o.KasAddress = _kas.Addresses.Agent!.ToString();
            o.TokenFile = tokenFile;
            o.Kubeconfig = _cluster.KubeconfigPath;
            o.PodNamespace = "gitlab-agent";
            o.PodName = "agentk-0";
        }).AddCilium(o =>
        {
            o.AggregationWindow = TimeSpan.FromMilliseconds(200);
            o.FlushInterval = TimeSpan.FromMilliseconds(50);
        });
        _agent = agentBuilder.Build();
        await _agent.StartAsync();

        await _relay.WaitForRequestsAsync(1, Eventually.DefaultTimeout);
        _relay.Publish(FlowFactory.Repeats("ingress-policy-denied.jsonl", 3, DateTimeOffset.UtcNow.AddSeconds(1)));
        _relay.Publish(FlowFactory.Fixture("allowed.jsonl", DateTimeOffset.UtcNow.AddSeconds(1)));

        var store = _kas.App.Services.GetRequiredService<ICiliumAlertStore>();
        await Eventually.WaitAsync(() => store.ListAsync(agent.Id).Result.Sum(a => a.Count) == 3, "three flows stored as alerts in KAS");

        using var http = new HttpClient { BaseAddress = new Uri(_kas.Addresses.Api!.ToString().Replace("grpc://", "http://", StringComparison.Ordinal)) };
        var alerts = await http.GetFromJsonAsync<JsonElement>($"/api/v4/agents/{agent.Id}/cilium/alerts");
        var alert = Assert.Single(alerts.EnumerateArray());
        Assert.Equal("db-ingress", alert.GetProperty("policy").GetProperty("name").GetString());
        Assert.Equal(3, alert.GetProperty("count").GetInt64());
        Assert.Equal("prod/db-0", alert.GetProperty("destination").GetString());
        Assert.NotEmpty(alert.GetProperty("alert").GetProperty("ciliumNetworkPolicy").GetProperty("metadata").GetProperty("uid").GetString()!);
    }
}
