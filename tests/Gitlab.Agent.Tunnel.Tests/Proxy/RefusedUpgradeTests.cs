using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.Tunnel.Tests.Infrastructure;

namespace Gitlab.Agent.Tunnel.Tests.Proxy;

/// <summary>
/// An upgrade the cluster refuses (no <c>101</c>) comes back through KAS as the cluster sent it — status, content type
/// and body — so kubectl can fall back from WebSocket to SPDY or print the cluster's own error. Each request is sent
/// byte for byte the same way straight to the cluster and through KAS, over raw HTTP/1.1 on TLS, as kubectl sends it.
/// </summary>
public sealed class RefusedUpgradeTests
{
    public static TheoryData<KasTransport> Transports => KubectlThroughKasTests.Transports;

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_refused_upgrade_reaches_the_client_as_the_cluster_sent_it(KasTransport transport)
    {
        await using var env = await KubectlThroughKasTests.StartWithRunningPodAsync(transport, "web-0");
        var (_, jobToken) = await env.JobKubeconfigAsync();
        (string Path, string Protocol)[] refusals =
        [
            ("/api/v1/namespaces/apps/pods/missing/exec?command=ls&stdout=true", "v5.channel.k8s.io"),
            ("/api/v1/namespaces/apps/pods/web-0/exec?stdout=true", "v5.channel.k8s.io"),
            ("/api/v1/namespaces/apps/pods/web-0/exec?command=ls&stdout=true", "no-such-protocol.example"),
        ];

        foreach (var (path, protocol) in refusals)
        {
            var direct = await UpgradeAsync(env.Cluster.BaseAddress, path, env.Cluster.AdminToken, protocol, env.Cluster.CaCertificate);
            var viaKas = await UpgradeAsync(env.Kas.KubernetesApiAddress!, "/k8s-proxy" + path, $"ci:{ProxyEnvironment.AgentId}:{jobToken}", protocol, SharedTls.Ca);

            Assert.True(direct.Status is >= 400 and < 500, $"the cluster refuses {path} with a client error, got {direct}");
            Assert.True(direct.Status == viaKas.Status, $"{path}: direct {direct}\nthrough KAS {viaKas}\n{env.Logs}");
            Assert.Equal(direct.ContentType, viaKas.ContentType);
            Assert.Equal(direct.Body, viaKas.Body);
        }
    }

    private sealed record RawResponse(int Status, string? ContentType, string Body)
    {
        public override string ToString() => $"{Status} ({ContentType}) {Body}";
    }

    /// <summary>A WebSocket upgrade request as kubectl sends it, with <c>Connection: close</c> so the answer ends with the connection.</summary>
    private static async Task<RawResponse> UpgradeAsync(Uri server, string path, string token, string protocol, X509Certificate2 ca)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port, timeout.Token);
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = server.Host,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            RemoteCertificateValidationCallback = (_, certificate, _, errors) => errors == SslPolicyErrors.None || TestCertificates.ChainsTo(certificate, ca),
        }, timeout.Token);

        var request =
            $"GET {path} HTTP/1.1\r\nHost: {server.Authority}\r\nAuthorization: Bearer {token}\r\nConnection: Upgrade, close\r\nUpgrade: websocket\r\n" +
            $"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {Convert.ToBase64String(Guid.NewGuid().ToByteArray())}\r\nSec-WebSocket-Protocol: {protocol}\r\n\r\n";
        await tls.WriteAsync(Encoding.ASCII.GetBytes(request), timeout.Token);
        await tls.FlushAsync(timeout.Token);

        using var received = new MemoryStream();
        await tls.CopyToAsync(received, timeout.Token);
        return Parse(Encoding.UTF8.GetString(received.ToArray()));
    }

    private static RawResponse Parse(string response)
    {
        var headerEnd = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(headerEnd > 0, $"no complete response head in '{response}'");
        var lines = response[..headerEnd].Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var body = response[(headerEnd + 4)..];
        if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Equals("chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Unchunk(body);
        }

        return new RawResponse(status, headers.GetValueOrDefault("Content-Type"), body);
    }

    private static string Unchunk(string chunked)
    {
        var result = new StringBuilder();
        var position = 0;
        while (true)
        {
            var lineEnd = chunked.IndexOf("\r\n", position, StringComparison.Ordinal);
            var size = Convert.ToInt32(chunked[position..lineEnd].Split(';')[0], 16);
            if (size == 0)
            {
                return result.ToString();
            }

            result.Append(chunked, lineEnd + 2, size);
            position = lineEnd + 2 + size + 2;
        }
    }
}
