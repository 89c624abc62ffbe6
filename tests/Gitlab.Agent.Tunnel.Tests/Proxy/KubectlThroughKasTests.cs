using Gitlab.Agent.Tunnel.Tests.Infrastructure;

namespace Gitlab.Agent.Tunnel.Tests.Proxy;

public sealed class KubectlThroughKasTests
{
    private const string CiAccessConfig = """
        ci_access:
          projects:
          - id: group/app
            default_namespace: apps
        """;

    [Theory]
    [InlineData(KasTransport.Grpc)]
    [InlineData(KasTransport.Grpcs)]
    [InlineData(KasTransport.Ws)]
    [InlineData(KasTransport.Wss)]
    public async Task Get_through_kas_with_ci_token(KasTransport transport)
    {
        await using var env = await ProxyEnvironment.StartAsync(transport, CiAccessConfig);
        var (kubeconfig, _) = await env.JobKubeconfigAsync();

        var result = await env.KubectlAsync(kubeconfig, "get", "namespaces", "-o", "name");

        Assert.True(result.ExitCode == 0, result + "\n" + env.Logs);
        Assert.Contains("namespace/kube-system", result.Stdout, StringComparison.Ordinal);
    }
}
