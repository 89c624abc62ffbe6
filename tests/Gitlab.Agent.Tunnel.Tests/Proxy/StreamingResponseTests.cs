using System.Net;
using System.Net.Http.Headers;
using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.Tunnel.Tests.Infrastructure;
using k8s;
using k8s.Models;

namespace Gitlab.Agent.Tunnel.Tests.Proxy;

/// <summary>Streamed responses through the proxy behave like the API server's: headers first, then each event as it happens.</summary>
public sealed class StreamingResponseTests
{
    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task Watch_headers_arrive_before_the_first_event_and_events_follow(string httpVersion)
    {
        await using var env = await ProxyEnvironment.StartAsync(KasTransport.Grpc, KubectlThroughKasTests.CiAccessConfig);
        using var admin = env.Cluster.CreateClient();
        await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "apps" } });
        var version = (await admin.CoreV1.ListNamespacedConfigMapAsync("apps")).Metadata.ResourceVersion;
        var token = (await env.JobTokens.IssueAsync(ProxyEnvironment.Job())).Token;
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => TestCertificates.ChainsTo(certificate, SharedTls.Ca);
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(env.Kas.KubernetesApiAddress!, $"/k8s-proxy/api/v1/namespaces/apps/configmaps?watch=true&resourceVersion={version}"))
        {
            Version = Version.Parse(httpVersion),
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", $"ci:{ProxyEnvironment.AgentId}:{token}");
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // Nothing has changed since `version`: the watch is silent, but its response has started.
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, wait.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Version.Parse(httpVersion), response.Version);

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(wait.Token));
        await admin.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "first" } }, "apps");
        var added = await reader.ReadLineAsync(wait.Token);
        Assert.NotNull(added);
        Assert.Contains("\"ADDED\"", added, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"first\"", added, StringComparison.Ordinal);
    }
}
