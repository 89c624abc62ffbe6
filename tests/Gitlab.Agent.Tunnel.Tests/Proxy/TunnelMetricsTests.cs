using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using Gitlab.Agent.Tunnel.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gitlab.Agent.Tunnel.Tests.Proxy;

/// <summary>
/// The <c>Gitlab.Agent.Tunnel</c> meter of one KAS and its agentk (their own meter factories, so parallel tests do not mix
/// in): open tunnels per agent, requests routed, bytes both ways, proxy requests by outcome, requests agentk served.
/// </summary>
public sealed partial class TunnelMetricsTests
{
    private const string Config = """
        ci_access:
          projects:
          - id: group/app
        """;

    [Fact]
    public async Task Proxied_requests_count_routes_bytes_outcomes_and_open_tunnels()
    {
        await using var env = await RuntimeEnvironment.StartAsync(KasTransport.Grpc, Config);
        var kasMeters = env.Kas.Services.GetRequiredService<IMeterFactory>();
        var agentMeters = env.Agent.Services.GetRequiredService<IMeterFactory>();
        var measurements = new ConcurrentQueue<(string Name, long Value, Dictionary<string, object?> Tags)>();
        var agentMeasurements = new ConcurrentQueue<(string Name, long Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Gitlab.Agent.Tunnel" && (ReferenceEquals(instrument.Meter.Scope, kasMeters) || ReferenceEquals(instrument.Meter.Scope, agentMeters)))
            {
                l.EnableMeasurementEvents(instrument, instrument.Meter.Scope);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, scope) =>
        {
            if (ReferenceEquals(scope, kasMeters))
            {
                measurements.Enqueue((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
            }
            else
            {
                agentMeasurements.Enqueue((instrument.Name, value));
            }
        });
        listener.Start();

        var kubeconfig = await env.JobKubeconfigAsync();
        var allowed = await Kubectl.RunAsync(kubeconfig, ["get", "namespaces", "-o", "name"]);
        Assert.True(allowed.ExitCode == 0, allowed + "\n" + env.Diagnostics());

        var badKubeconfig = kubeconfig + ".bad.yaml";
        await File.WriteAllTextAsync(badKubeconfig, JobToken().Replace(await File.ReadAllTextAsync(kubeconfig), "token: ci:$1:not-a-job-token"));
        var refused = await Kubectl.RunAsync(badKubeconfig, ["get", "namespaces", "-o", "name"]);
        Assert.NotEqual(0, refused.ExitCode);

        listener.RecordObservableInstruments();
        long Sum(string name, string? tag = null, object? value = null) =>
            measurements.Where(m => m.Name == name && (tag is null || (m.Tags.TryGetValue(tag, out var v) && Equals(v, value)))).Sum(m => m.Value);

        Assert.True(Sum("gitlab_agent.tunnel.requests") >= 1, "requests routed");
        Assert.True(Sum("gitlab_agent.tunnel.bytes_to_agent") > 0, "bytes to the agent");
        Assert.True(Sum("gitlab_agent.tunnel.bytes_from_agent") > 0, "bytes from the agent");
        Assert.True(Sum("gitlab_agent.k8s_proxy.requests", "outcome", "forwarded") >= 1, "forwarded proxy requests");
        Assert.True(Sum("gitlab_agent.k8s_proxy.requests", "outcome", "unauthenticated") >= 1, "refused proxy requests");
        Assert.Equal(0, Sum("gitlab_agent.k8s_proxy.requests", "outcome", "failed"));
        Assert.True(Sum("gitlab_agent.tunnel.open", "agent_id", env.AgentId) > 0, "open tunnels of the agent");

        // agentk's side: the requests it served, and tunnel streams opened (its up/down counter moved up).
        Assert.True(agentMeasurements.Where(m => m.Name == "gitlab_agent.tunnel.agent_requests").Sum(m => m.Value) >= 1, "requests served by agentk");
        Assert.Contains(agentMeasurements, m => m.Name == "gitlab_agent.tunnel.agent_connections" && m.Value > 0);
    }

    [GeneratedRegex(@"token: ""?ci:(\d+):[^""\s]+""?")]
    private static partial Regex JobToken();
}
