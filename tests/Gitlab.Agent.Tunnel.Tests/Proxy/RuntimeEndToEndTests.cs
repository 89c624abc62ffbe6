using Gitlab.Agent.Tunnel.Tests.Infrastructure;

namespace Gitlab.Agent.Tunnel.Tests.Proxy;

/// <summary>kubectl through KAS and agentk as composed in production (AddKas/AddAgentk + AddTunnel), per transport, with restarts.</summary>
public sealed class RuntimeEndToEndTests
{
    private const string Config = """
        ci_access:
          projects:
          - id: group/app
        """;

    public static TheoryData<KasTransport> Transports => [KasTransport.Grpc, KasTransport.Grpcs, KasTransport.Ws, KasTransport.Wss];

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Kubectl_works_through_the_runtimes_and_survives_agent_and_kas_restarts(KasTransport transport)
    {
        await using var env = await RuntimeEnvironment.StartAsync(transport, Config);
        Assert.Equal(transport.ToString().ToLowerInvariant(), env.Addresses.Agent.Scheme);
        var kubeconfig = await env.JobKubeconfigAsync();

        var first = await Kubectl.RunAsync(kubeconfig, ["get", "namespaces", "-o", "name"]);
        Assert.True(first.ExitCode == 0, first + "\n" + env.Diagnostics());
        Assert.Contains("namespace/default", first.Stdout, StringComparison.Ordinal);

        // Agent restart while idle: the next request waits for the new agent's tunnels.
        await env.StopAgentAsync();
        await env.StartAgentAsync();
        var afterAgentRestart = await Kubectl.RunAsync(kubeconfig, ["get", "namespaces", "-o", "name"]);
        Assert.True(afterAgentRestart.ExitCode == 0, afterAgentRestart + "\n" + env.Diagnostics());

        // KAS restart on the same ports: agentk re-establishes its tunnels, the issued job token is still valid.
        await env.RestartKasAsync();
        var afterKasRestart = await Kubectl.RunAsync(kubeconfig, ["get", "namespaces", "-o", "name"], timeout: TimeSpan.FromMinutes(2));
        Assert.True(afterKasRestart.ExitCode == 0, afterKasRestart + "\n" + env.Diagnostics());
        Assert.Contains("namespace/default", afterKasRestart.Stdout, StringComparison.Ordinal);
    }
}
