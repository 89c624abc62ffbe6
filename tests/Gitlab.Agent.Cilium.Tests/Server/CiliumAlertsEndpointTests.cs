using System.Net;
using System.Text;
using System.Text.Json;
using Gitlab.Agent.Cilium.Server;
using Gitlab.Agent.Cilium.Tests.Infrastructure;
using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Modules;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Cilium.Tests.Server;

public sealed class CiliumAlertsEndpointTests : IAsyncLifetime
{
    private readonly ServerFixture _server = new();
    private WebApplication? _app;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        IKasModule module = new CiliumKasModule(_server.Store);
        module.MapEndpoints(KasListener.Agent, _app);
        module.MapEndpoints(KasListener.Api, _app);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _http = new HttpClient { BaseAddress = new Uri(address) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app!.DisposeAsync();
        _server.Dispose();
    }

    [Fact]
    public async Task Lists_an_agents_alerts_as_json()
    {
        var flow = TestData.Flow("ingress-policy-denied.jsonl");
        var body = TestData.GitlabPayload(flow, TestData.PolicyJson("db-ingress", TestData.DbIngressSpec), ",\"count\":4");
        var agent = new AgentIdentity(7, "a", 42, "g/p", 1);
        var response = await _server.Handler.HandleAsync(agent, new AgentModuleRequest("POST", "/", new Dictionary<string, IReadOnlyList<string>>(), new Dictionary<string, IReadOnlyList<string>>(), Encoding.UTF8.GetBytes(body)));
        Assert.Equal(200, response.StatusCode);

        using var list = await _http.GetAsync("/api/v4/agents/7/cilium/alerts");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal("application/json", list.Content.Headers.ContentType?.MediaType);
        var alerts = JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement;
        var alert = Assert.Single(alerts.EnumerateArray());
        Assert.Equal(7, alert.GetProperty("agent_id").GetInt64());
        Assert.Equal("db-ingress", alert.GetProperty("policy").GetProperty("name").GetString());
        Assert.Equal(4, alert.GetProperty("count").GetInt64());
        Assert.Equal("INGRESS", alert.GetProperty("traffic_direction").GetString());
        Assert.Equal("DROPPED", alert.GetProperty("alert").GetProperty("flow").GetProperty("verdict").GetString());

        var other = JsonDocument.Parse(await _http.GetStringAsync("/api/v4/agents/8/cilium/alerts")).RootElement;
        Assert.Equal(0, other.GetArrayLength());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1001")]
    [InlineData("x")]
    public async Task Invalid_limit_is_a_400(string limit)
    {
        using var response = await _http.GetAsync($"/api/v4/agents/7/cilium/alerts?limit={limit}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("limit: expected an integer from 1 to 1000", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
