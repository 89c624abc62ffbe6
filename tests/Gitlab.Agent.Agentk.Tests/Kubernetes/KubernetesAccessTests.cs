using System.Net;
using Gitlab.Agent.Agentk.Tests.Infrastructure;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Agentk.Tests.Kubernetes;

public class KubernetesAccessTests
{
    [Fact]
    public async Task Without_kubeconfig_outside_a_cluster_resolving_IKubernetes_fails_with_what_to_pass()
    {
        Assert.False(KubernetesClientConfiguration.IsInCluster(), "this test must run outside a cluster");
        await using var kas = await FakeKas.StartAsync();
        await using var agent = await AgentUnderTest.StartAsync($"grpc://127.0.0.1:{kas.Port}");

        var error = Assert.Throws<InvalidOperationException>(() => agent.Host.Services.GetRequiredService<IKubernetes>());

        Assert.Equal(
            "agentk has no access to a Kubernetes cluster: it is not running in a pod (KUBERNETES_SERVICE_HOST is not set) and neither --kubeconfig nor --context was given.",
            error.Message);
    }

    [Fact]
    public async Task The_kubernetes_version_from_the_kubeconfig_cluster_is_sent_to_kas()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var apiServer = builder.Build();
        apiServer.MapGet("/version", () => Results.Json(new { major = "1", minor = "32", gitVersion = "v1.32.3", platform = "linux/amd64" }));
        await apiServer.StartAsync();
        var apiAddress = apiServer.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var kubeconfig = Path.GetTempFileName();
        await File.WriteAllTextAsync(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: test
              cluster:
                server: {apiAddress}
            users:
            - name: test
              user:
                token: abc
            contexts:
            - name: test
              context:
                cluster: test
                user: test
            current-context: test
            """);
        await using var kas = await FakeKas.StartAsync();

        await using (var agent = await AgentUnderTest.StartAsync($"grpc://127.0.0.1:{kas.Port}", o => o.Kubeconfig = kubeconfig))
        {
            var request = await kas.State.ConfigurationRequests.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal("1", request.Request.AgentMeta.KubernetesVersion.Major);
            Assert.Equal("32", request.Request.AgentMeta.KubernetesVersion.Minor);
            Assert.Equal("v1.32.3", request.Request.AgentMeta.KubernetesVersion.GitVersion);
            Assert.Equal("linux/amd64", request.Request.AgentMeta.KubernetesVersion.Platform);
            Assert.Equal(apiAddress.TrimEnd('/'), agent.Host.Services.GetRequiredService<KubernetesClientConfiguration>().Host.TrimEnd('/'));
        }

        File.Delete(kubeconfig);
    }
}
