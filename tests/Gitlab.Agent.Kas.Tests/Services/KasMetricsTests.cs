using System.Text.RegularExpressions;
using Gitlab.Agent.Protocol.AgentConfiguration;
using Gitlab.Agent.Protocol.AgentRegistrar;
using Gitlab.Agent.Protocol.Entity;
using Gitlab.Agent.TestUtilities;
using Grpc.Core;

namespace Gitlab.Agent.Kas.Tests.Services;

/// <summary>Runs alone: OpenTelemetry listens to meters by name, so KAS hosts of parallel tests would add to these values.</summary>
[CollectionDefinition(nameof(KasMetricsTests), DisableParallelization = true)]
public sealed class KasMetricsCollection;

[Collection(nameof(KasMetricsTests))]
public sealed class KasMetricsTests : IAsyncDisposable
{
    private KasTestHost _kas = null!;

    public async ValueTask DisposeAsync()
    {
        if (_kas is not null)
        {
            await _kas.DisposeAsync();
        }
    }

    [Fact]
    public async Task Authentication_failures_are_counted()
    {
        _kas = await KasTestHost.StartAsync();
        var client = new AgentRegistrar.AgentRegistrarClient(_kas.Channel(KasListener.Agent, "glagent-unknown"));

        await Assert.ThrowsAsync<RpcException>(async () => await client.RegisterAsync(new RegisterRequest { PodId = 1 }));

        using var observability = _kas.Http(KasListener.Observability);
        await Eventually.TrueAsync(async () => Regex.IsMatch(await observability.GetStringAsync("/metrics"),
            @"^kas_authentication_failures_total\{[^}]*reason=""invalid_token""[^}]*\} 1\b", RegexOptions.Multiline), "the failure is counted");
    }

    [Fact]
    public async Task Gzip_compressed_requests_are_accepted_and_configurations_are_counted()
    {
        _kas = await KasTestHost.StartAsync();
        var (_, token) = await _kas.CreateAgentAsync("group/project", "agent1");
        using var repo = await _kas.CreateRepositoryAsync("group/project");
        await repo.CommitFileAsync(".gitlab/agents/agent1/config.yaml", "observability:\n  logging:\n    level: debug\n");
        var client = new AgentConfiguration.AgentConfigurationClient(_kas.Channel(KasListener.Agent, token.Secret));
        var headers = new Metadata { { "grpc-internal-encoding-request", "gzip" } };

        using var call = client.GetConfiguration(new ConfigurationRequest { AgentMeta = new AgentMeta { Version = new string('v', 10_000) } }, headers);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.True(await call.ResponseStream.MoveNext(cts.Token));

        using var observability = _kas.Http(KasListener.Observability);
        await Eventually.TrueAsync(async () =>
        {
            var metrics = await observability.GetStringAsync("/metrics");
            return Regex.IsMatch(metrics, @"^kas_configurations_sent_total\{[^}]*\} 1\b", RegexOptions.Multiline)
                && Regex.IsMatch(metrics, @"^kas_connected_agents\{[^}]*\} 1\b", RegexOptions.Multiline);
        }, "the configuration is counted");
    }

}
