using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using Gitlab.Agent.Tunnel.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gitlab.Agent.Tunnel.Tests.Proxy;

/// <summary>
/// The <c>Gitlab.Agent.Tunnel</c> meter of one KAS (its own meter factory, so parallel tests do not mix in): open tunnels
/// per agent, requests routed, bytes both ways and proxy requests by outcome, after kubectl ran through it.
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
        var measurements = new ConcurrentQueue<(string Name, long Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Gitlab.Agent.Tunnel" && ReferenceEquals(instrument.Meter.Scope, kasMeters))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            measurements.Enqueue((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
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
    }

    [GeneratedRegex(@"token: ""?ci:(\d+):[^""\s]+""?")]
    private static partial Regex JobToken();
}
