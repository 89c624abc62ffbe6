using Gitlab.Agent.Tunnel.Tests.Infrastructure;
using k8s;
using k8s.Models;

namespace Gitlab.Agent.Tunnel.Tests.Proxy;

/// <summary>
/// <see cref="Gitlab.Agent.Tunnel.Agent.TunnelAgentOptions.CompressFrames"/>: with gzip-compressed tunnel frames a
/// large answer (several frames, one of them gzip-friendly, one not) still reaches kubectl byte for byte.
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
        foreach (var key in data.Keys)
        {
            var result = await Kubectl.RunAsync(kubeconfig, ["get", "configmap", "big", "-n", "default", "-o", $"jsonpath={{.data.{key}}}"]);
            Assert.True(result.ExitCode == 0, result + "\n" + env.Diagnostics());
            Assert.Equal(data[key], result.Stdout);
        }
    }
}
