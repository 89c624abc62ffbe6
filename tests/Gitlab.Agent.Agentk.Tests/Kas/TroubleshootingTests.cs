using Gitlab.Agent.TestUtilities;
using TestCertificates = Gitlab.Agent.Agentk.Tests.Infrastructure.TestCertificates;
using Gitlab.Agent.Agentk.Kas;
using Gitlab.Agent.Agentk.Tests.Infrastructure;
using Gitlab.Agent.Protocol.AgentConfiguration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Agentk.Tests.Kas;

/// <summary>The failure modes of GitLab's troubleshooting page, each against a real server: a clear error, and agentk keeps retrying.</summary>
public class TroubleshootingTests
{
    private static void ServeConfiguration(FakeKas kas) =>
        kas.State.OnGetConfiguration = async (_, stream, context) =>
        {
            await stream.WriteAsync(new ConfigurationResponse { CommitId = "c1", Configuration = new() { AgentId = 7 } });
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        };

    /// <summary>Waits for the same KasCallFailed error twice: logged, then retried, and agentk still runs.</summary>
    private static async Task<CapturedLog> ExpectRetriedErrorAsync(AgentUnderTest agent, string expectedMessageStart)
    {
        var first = await agent.Logs.WaitForAsync(l => l.EventId.Id == 3003);
        Assert.Equal(LogLevel.Error, first.Level);
        Assert.True(first.Message.StartsWith(expectedMessageStart, StringComparison.Ordinal), $"expected '{expectedMessageStart}…', got '{first.Message}' from {first.Exception}");
        await agent.Logs.WaitForAsync(l => l.EventId.Id == 3003 && !ReferenceEquals(l, first));
        Assert.False(agent.Host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested);
        return first;
    }

    [Fact]
    public async Task Unresolvable_host_names_the_host()
    {
        await using var agent = await AgentUnderTest.StartAsync("grpc://kas.invalid:8150");

        var log = await ExpectRetriedErrorAsync(agent, "cannot resolve KAS host 'kas.invalid':");
        Assert.EndsWith("check the host name in --kas-address and the cluster DNS", log.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nothing_listening_is_connection_refused_and_agentk_connects_once_kas_is_up()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        await using var agent = await AgentUnderTest.StartAsync($"grpc://127.0.0.1:{port}");
        await ExpectRetriedErrorAsync(agent, $"cannot connect to KAS at 127.0.0.1:{port}: connection refused");

        await using var kas = await FakeKas.StartAsync(port: port);
        ServeConfiguration(kas);
        Assert.Equal(7, (await agent.Module.NextAsync()).AgentId);
    }

    [Fact]
    public async Task Grpc_scheme_against_an_http1_only_server_says_it_does_not_speak_grpc_over_http2()
    {
        await using var kas = await FakeKas.StartAsync(protocols: HttpProtocols.Http1);
        await using var agent = await AgentUnderTest.StartAsync($"grpc://127.0.0.1:{kas.Port}");

        // Kestrel answers the HTTP/2 preface with an HTTP/1.1 error or, under load, resets the connection.
        var log = await ExpectRetriedErrorAsync(agent, $"failed to connect to KAS at grpc://127.0.0.1:{kas.Port}: the server ");
        Assert.Contains("not speak gRPC over HTTP/2", log.Message, StringComparison.Ordinal);
        Assert.Contains("check that --kas-address uses the scheme the server listens with (grpc/grpcs vs ws/wss)", log.Message, StringComparison.Ordinal);
        Assert.NotNull(log.Exception);
    }

    [Fact]
    public async Task Grpc_scheme_against_a_websocket_endpoint_that_answers_http_but_not_grpc()
    {
        // An HTTP/2 server whose only route is a WebSocket/HTML endpoint, like GitLab's /-/kubernetes-agent/ proxy.
        await using var kas = await FakeKas.StartAsync(map: app => app.MapFallback(() => Results.Content("<html>GitLab</html>", "text/html")));
        await using var agent = await AgentUnderTest.StartAsync($"grpc://127.0.0.1:{kas.Port}", services: s => s.AddSingleton<IKasTransport>(new PathTransport("/not-grpc/")));

        await ExpectRetriedErrorAsync(agent, $"failed to connect to KAS at grpc://127.0.0.1:{kas.Port}: the server answered HTTP but not gRPC (Bad gRPC response.");
    }

    [Fact]
    public async Task Grpcs_scheme_against_a_cleartext_server_is_a_tls_handshake_failure()
    {
        await using var kas = await FakeKas.StartAsync();
        await using var agent = await AgentUnderTest.StartAsync($"grpcs://127.0.0.1:{kas.Port}");

        await ExpectRetriedErrorAsync(agent, $"failed to connect to KAS at grpcs://127.0.0.1:{kas.Port}: TLS handshake failed");
    }

    [Fact]
    public async Task Wss_scheme_against_a_plain_grpc_server_says_the_websocket_handshake_failed()
    {
        using var certificates = new TestCertificates("localhost", "127.0.0.1");
        await using var kas = await FakeKas.StartAsync(certificates.Server, HttpProtocols.Http1AndHttp2);
        await using var agent = await AgentUnderTest.StartAsync(
            $"wss://127.0.0.1:{kas.Port}/-/kubernetes-agent/",
            o => o.CaCertFile = certificates.CaPemFile,
            s => s.TryAddEnumerable(ServiceDescriptor.Singleton<IKasTransport, TestWebSocketTransport>()));

        await ExpectRetriedErrorAsync(agent, $"failed to connect to KAS at wss://127.0.0.1:{kas.Port}/-/kubernetes-agent/: the WebSocket handshake failed");
    }

    [Fact]
    public async Task Certificate_from_an_unknown_authority_asks_for_ca_cert_file()
    {
        using var certificates = new TestCertificates("localhost", "127.0.0.1");
        await using var kas = await FakeKas.StartAsync(certificates.Server);
        ServeConfiguration(kas);
        await using var agent = await AgentUnderTest.StartAsync($"grpcs://127.0.0.1:{kas.Port}");

        var log = await ExpectRetriedErrorAsync(agent, $"failed to connect to KAS at grpcs://127.0.0.1:{kas.Port}: x509: certificate signed by unknown authority; pass --ca-cert-file with the CA that signed KAS's certificate");
        Assert.NotNull(log.Exception);
    }

    [Fact]
    public async Task Ca_cert_file_makes_the_same_server_trusted()
    {
        using var certificates = new TestCertificates("localhost", "127.0.0.1");
        await using var kas = await FakeKas.StartAsync(certificates.Server);
        ServeConfiguration(kas);
        await using var agent = await AgentUnderTest.StartAsync($"grpcs://127.0.0.1:{kas.Port}", o => o.CaCertFile = certificates.CaPemFile);

        Assert.Equal(7, (await agent.Module.NextAsync()).AgentId);
        Assert.Equal("Bearer test-token", (await kas.State.ConfigurationRequests.Reader.ReadAsync()).Headers["authorization"]);
    }

    [Fact]
    public async Task Tls_server_name_selects_the_name_checked_against_the_certificate()
    {
        using var certificates = new TestCertificates("kas.internal.test");
        await using var kas = await FakeKas.StartAsync(certificates.Server);
        ServeConfiguration(kas);

        await using (var wrongName = await AgentUnderTest.StartAsync($"grpcs://127.0.0.1:{kas.Port}", o => o.CaCertFile = certificates.CaPemFile))
        {
            await ExpectRetriedErrorAsync(wrongName, $"failed to connect to KAS at grpcs://127.0.0.1:{kas.Port}: x509: the certificate is not valid for the host name; fix --kas-address or pass --kas-tls-server-name");
        }

        await using var agent = await AgentUnderTest.StartAsync($"grpcs://127.0.0.1:{kas.Port}", o =>
        {
            o.CaCertFile = certificates.CaPemFile;
            o.KasTlsServerName = "kas.internal.test";
        });
        Assert.Equal(7, (await agent.Module.NextAsync()).AgentId);
    }

    [Fact]
    public async Task Insecure_skip_tls_verify_accepts_any_certificate()
    {
        using var certificates = new TestCertificates("somewhere.else.test");
        await using var kas = await FakeKas.StartAsync(certificates.Server);
        ServeConfiguration(kas);
        await using var agent = await AgentUnderTest.StartAsync($"grpcs://127.0.0.1:{kas.Port}", o => o.KasInsecureSkipTlsVerify = true);

        Assert.Equal(7, (await agent.Module.NextAsync()).AgentId);
    }

    [Fact]
    public async Task The_websocket_transport_seam_carries_grpc_through_a_registered_transport()
    {
        // A WebSocket KAS listener: accepts ws-tunnel sockets and serves the same gRPC services on the bytes inside.
        await using var kas = await WebSocketFakeKas.StartAsync();
        ServeConfiguration(kas.Grpc);
        await using var agent = await AgentUnderTest.StartAsync(
            $"ws://127.0.0.1:{kas.Port}/-/kubernetes-agent/",
            services: s => s.TryAddEnumerable(ServiceDescriptor.Singleton<IKasTransport, TestWebSocketTransport>()));

        Assert.Equal(7, (await agent.Module.NextAsync()).AgentId);
        Assert.Equal("ws-tunnel", await kas.SubProtocol.Task.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    /// <summary>A grpc transport that sends calls to a fixed path prefix, to reach a non-gRPC route of the server.</summary>
    private sealed class PathTransport(string prefix) : IKasTransport
    {
        public IReadOnlyCollection<string> Schemes { get; } = ["grpc"];

        public KasTransportChannel CreateChannel(KasTransportContext context) =>
            new(new Uri($"http://{context.Address.Authority}"), new PrefixHandler(prefix, context.CreateHttpHandler()));

        private sealed class PrefixHandler(string prefix, HttpMessageHandler inner) : DelegatingHandler(inner)
        {
            protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                request.RequestUri = new Uri(request.RequestUri!, prefix.TrimEnd('/') + request.RequestUri!.AbsolutePath);
                return base.SendAsync(request, cancellationToken);
            }
        }
    }
}
