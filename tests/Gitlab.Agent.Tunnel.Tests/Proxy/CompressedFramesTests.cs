using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.Tunnel.Tests.Infrastructure;
using k8s;
using k8s.Models;

namespace Gitlab.Agent.Tunnel.Tests.Proxy;

/// <summary>
/// <see cref="Gitlab.Agent.Tunnel.Agent.TunnelAgentOptions.CompressFrames"/>: with gzip-compressed tunnel frames a
/// large answer (several frames, one of them gzip-friendly, one not) still reaches kubectl byte for byte, and the bytes
/// agentk puts on the wire (counted by a TCP relay between agentk and KAS) show whether the frames were compressed.
/// </summary>
public sealed class CompressedFramesTests
{
    private const string Config = """
        ci_access:
          projects:
          - id: group/app
        """;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Large_answers_arrive_intact_with_and_without_frame_compression(bool compress)
    {
        await using var env = await RuntimeEnvironment.StartAsync(KasTransport.Grpc, Config, o => o.CompressFrames = compress);
        await env.StopAgentAsync();
        await using var relay = TcpRelay.Start(env.KasAgentPort);
        env.AgentDialsPort = relay.Port;
        await env.StartAgentAsync();
        var random = new Random(7);
        var noise = new byte[300_000];
        random.NextBytes(noise);
        var data = new Dictionary<string, string>
        {
            ["noise"] = Convert.ToBase64String(noise),
            ["text"] = string.Concat(Enumerable.Repeat("a line of configuration text\n", 20_000)),
        };
        using (var admin = env.Cluster.CreateClient())
        {
            await admin.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "big" }, Data = data }, "default");
        }

        var kubeconfig = await env.JobKubeconfigAsync();
        var payload = data.Values.Sum(v => (long)v.Length);
        foreach (var key in data.Keys)
        {
            var before = relay.BytesToServer;
            var result = await Kubectl.RunAsync(kubeconfig, ["get", "configmap", "big", "-n", "default", "-o", $"jsonpath={{.data.{key}}}"]);
            var sent = relay.BytesToServer - before;
            Assert.True(result.ExitCode == 0, result + "\n" + env.Diagnostics());
            Assert.Equal(data[key], result.Stdout);

            // kubectl fetches the whole object each time (jsonpath is applied client-side): the random half shrinks
            // to about 3/4 under gzip, the text half to almost nothing.
            if (compress)
            {
                Assert.True(sent < payload * 6 / 10, $"agentk sent {sent} bytes for a {payload}-byte answer with compressed frames");
            }
            else
            {
                Assert.True(sent > payload, $"agentk sent {sent} bytes for a {payload}-byte answer with uncompressed frames");
            }
        }
    }
}
