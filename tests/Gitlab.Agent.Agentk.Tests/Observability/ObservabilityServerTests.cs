using System.Net;
using Gitlab.Agent.Agentk.Observability;
using Gitlab.Agent.Agentk.Tests.Infrastructure;
using Gitlab.Agent.Protocol.AgentConfiguration;
using Microsoft.Extensions.DependencyInjection;

namespace Gitlab.Agent.Agentk.Tests.Observability;

public class ObservabilityServerTests
{
    [Fact]
    public async Task Liveness_readiness_and_metrics_are_served()
    {
        await using var kas = await FakeKas.StartAsync();
        var release = new TaskCompletionSource();
        kas.State.OnGetConfiguration = async (_, stream, context) =>
        {
            await release.Task.WaitAsync(context.CancellationToken);
            await stream.WriteAsync(new ConfigurationResponse { CommitId = "c1", Configuration = new() { AgentId = 5 } });
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        };
        await using var agent = await AgentUnderTest.StartAsync($"grpc://127.0.0.1:{kas.Port}", o => o.ObservabilityListenAddress = "127.0.0.1:0");
        var address = agent.Host.Services.GetRequiredService<ObservabilityServer>().Address!;
        using var http = new HttpClient { BaseAddress = address };

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/liveness")).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/readiness")).StatusCode);

        release.SetResult();
        await agent.Module.NextAsync();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readiness")).StatusCode);
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("agentk_configuration_updates_total 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("# TYPE agentk_kas_connection_failures_total counter\n", metrics, StringComparison.Ordinal);
        Assert.Contains("agentk_kas_connected 1\n", metrics, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(":8080", "0.0.0.0:8080")]
    [InlineData("127.0.0.1:9000", "127.0.0.1:9000")]
    [InlineData("[::1]:9000", "[::1]:9000")]
    [InlineData("localhost:81", "127.0.0.1:81")]
    public void Listen_addresses_are_parsed(string value, string expected)
    {
        Assert.True(ObservabilityEndpoint.TryParse(value, out var endpoint));
        Assert.Equal(expected, endpoint!.ToString());
    }

    [Theory]
    [InlineData("8080")]
    [InlineData("host.example.com:80")]
    [InlineData(":99999")]
    public void Bad_listen_addresses_are_rejected(string value) =>
        Assert.False(ObservabilityEndpoint.TryParse(value, out _));
}
