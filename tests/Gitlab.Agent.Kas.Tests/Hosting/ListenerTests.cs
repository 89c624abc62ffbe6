using System.Net;
using Gitlab.Agent.Protocol.AgentConfiguration;
using Gitlab.Agent.Protocol.AgentTracker.Rpc;
using Gitlab.Agent.TestUtilities;
using Grpc.Core;

namespace Gitlab.Agent.Kas.Tests.Hosting;

public sealed class ListenerTests : IAsyncLifetime
{
    private KasTestHost _kas = null!;

    // The api listener uses TLS so that it speaks HTTP/2 (gRPC) as well as HTTP/1.1.
    public async Task InitializeAsync() => _kas = await KasTestHost.StartAsync(tls: [KasListener.Api]);

    public async Task DisposeAsync() => await _kas.DisposeAsync();

    [Fact]
    public void Port_zero_listeners_expose_their_bound_addresses()
    {
        var addresses = _kas.Addresses;

        Assert.Equal("grpc", addresses.Agent.Scheme);
        Assert.Equal("https", addresses.Api.Scheme);
        Assert.Equal("http", addresses.Observability.Scheme);
        Assert.All(new[] { addresses.Agent, addresses.Api, addresses.Observability }, a => Assert.NotEqual(0, a.Port));
        Assert.Equal(3, new[] { addresses.Agent.Port, addresses.Api.Port, addresses.Observability.Port }.Distinct().Count());
        Assert.Null(addresses.KubernetesApi);
        Assert.Null(addresses.Get(KasListener.KubernetesApi));
    }

    [Fact]
    public async Task Health_and_metrics_are_served_on_the_observability_listener_only()
    {
        using var observability = _kas.Http(KasListener.Observability);
        using var api = _kas.Http(KasListener.Api);

        Assert.Equal("ok\n", await observability.GetStringAsync("/liveness"));
        Assert.Equal("ok\n", await observability.GetStringAsync("/readiness"));
        Assert.Equal("ok\n", await observability.GetStringAsync("/healthz"));
        var metrics = await observability.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/liveness")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task Agent_services_are_not_served_on_the_api_listener()
    {
        var (_, token) = await _kas.CreateAgentAsync("group/project", "agent");
        var client = new AgentConfiguration.AgentConfigurationClient(_kas.Channel(KasListener.Api, token.Secret));

        using var call = client.GetConfiguration(new ConfigurationRequest(), deadline: DateTime.UtcNow.AddSeconds(30));
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
    }

    [Fact]
    public async Task Api_services_are_not_served_on_the_agent_listener()
    {
        var (agent, token) = await _kas.CreateAgentAsync("group/project", "agent");
        var onAgent = new AgentTracker.AgentTrackerClient(_kas.Channel(KasListener.Agent, token.Secret));
        var onApi = new AgentTracker.AgentTrackerClient(_kas.Channel(KasListener.Api));

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await onAgent.GetConnectedAgentsAsync(new GetConnectedAgentsRequest { AgentId = agent.Id }));
        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
        var response = await onApi.GetConnectedAgentsAsync(new GetConnectedAgentsRequest { AgentId = agent.Id });
        Assert.Empty(response.Agents);
    }

    [Fact]
    public async Task The_push_endpoint_is_served_on_the_api_listener_only()
    {
        using var agentHttp = _kas.Http(KasListener.Agent);
        using var observability = _kas.Http(KasListener.Observability);
        using var api = _kas.Http(KasListener.Api);
        using var repo = await _kas.CreateRepositoryAsync("group/project");
        await repo.CommitFileAsync("f", "1");

        Assert.Equal(HttpStatusCode.NotFound, (await agentHttp.PostAsync("/-/refresh/group/project", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await observability.PostAsync("/-/refresh/group/project", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync("/-/refresh/group/project", null)).StatusCode);
    }
}
