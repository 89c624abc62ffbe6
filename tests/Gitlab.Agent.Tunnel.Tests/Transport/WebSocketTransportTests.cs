using System.Net;
using Gitlab.Agent.Protocol.Grpctool;
using Gitlab.Agent.Protocol.KubernetesApi;
using Gitlab.Agent.Tunnel.Tests.Infrastructure;
using Gitlab.Agent.Tunnel.Transport;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using HttpContext = Microsoft.AspNetCore.Http.HttpContext;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Gitlab.Agent.Tunnel.Tests.Transport;

public sealed class WebSocketTransportTests
{
    /// <summary>Echoes every request data chunk back, reversed in order of nothing: one data message per request message.</summary>
    private sealed class EchoService : KubernetesApi.KubernetesApiBase
    {
        public static readonly List<string> UserAgents = [];
        public static readonly List<string> CustomHeaders = [];

        public override async Task MakeRequest(IAsyncStreamReader<HttpRequest> requestStream, IServerStreamWriter<HttpResponse> responseStream, ServerCallContext context)
        {
            await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
            {
                if (request.MessageCase == HttpRequest.MessageOneofCase.Data)
                {
                    await responseStream.WriteAsync(new HttpResponse { Data = new HttpResponse.Types.Data { Data_ = request.Data.Data_ } });
                }
            }

            await responseStream.WriteAsync(new HttpResponse { Trailer = new HttpResponse.Types.Trailer() });
        }
    }

    private static Task<TestKasServer> StartEchoServer(KasTransport transport, Action<HttpContext>? onHandshake = null) =>
        TestKasServer.StartAsync(
            transport,
            s => s.AddSingleton<EchoService>(),
            app => app.MapGrpcService<EchoService>(),
            beforeWebSockets: app =>
            {
                if (onHandshake is not null)
                {
                    app.Use((ctx, next) =>
                    {
                        onHandshake(ctx);
                        return next(ctx);
                    });
                }
            });

    private static async Task<List<byte[]>> EchoAsync(GrpcChannel channel, IReadOnlyList<byte[]> chunks, CancellationToken ct)
    {
        var client = new KubernetesApi.KubernetesApiClient(channel);
        using var call = client.MakeRequest(cancellationToken: ct);
        var writer = Task.Run(async () =>
        {
            foreach (var chunk in chunks)
            {
                await call.RequestStream.WriteAsync(new HttpRequest { Data = new HttpRequest.Types.Data { Data_ = ByteString.CopyFrom(chunk) } }, ct);
            }

            await call.RequestStream.CompleteAsync();
        }, ct);
        var result = new List<byte[]>();
        await foreach (var response in call.ResponseStream.ReadAllAsync(ct))
        {
            if (response.MessageCase == HttpResponse.MessageOneofCase.Data)
            {
                result.Add(response.Data.Data_.ToByteArray());
            }
        }

        await writer;

        return result;
    }

    [Theory]
    [InlineData(KasTransport.Grpc)]
    [InlineData(KasTransport.Grpcs)]
    [InlineData(KasTransport.Ws)]
    [InlineData(KasTransport.Wss)]
    public async Task Bidirectional_stream_round_trips_large_messages_over_each_transport(KasTransport transport)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var kas = await StartEchoServer(transport);
        using var channel = AgentChannels.Create(kas.AgentAddress);
        var random = new Random(42);
        var chunks = Enumerable.Range(0, 40).Select(i => { var b = new byte[(i * 7919) % (512 * 1024) + 1]; random.NextBytes(b); return b; }).ToList();

        var echoed = await EchoAsync(channel, chunks, cts.Token);

        Assert.Equal(chunks.Count, echoed.Count);
        for (var i = 0; i < chunks.Count; i++)
        {
            Assert.Equal(chunks[i], echoed[i]);
        }
    }

    [Theory]
    [InlineData(KasTransport.Ws)]
    [InlineData(KasTransport.Wss)]
    public async Task Concurrent_calls_share_the_websocket_and_handshake_carries_headers(KasTransport transport)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var handshakes = new List<(string? UserAgent, string? Custom, string? Protocol)>();
        await using var kas = await StartEchoServer(transport, ctx =>
        {
            if (string.Equals(ctx.Request.Headers.Upgrade, "websocket", StringComparison.OrdinalIgnoreCase))
            {
                lock (handshakes)
                {
                    handshakes.Add((ctx.Request.Headers.UserAgent, ctx.Request.Headers["X-Custom"], ctx.Request.Headers.SecWebSocketProtocol));
                }
            }
        });
        var options = new KasWebSocketClientOptions { UserAgent = "agentk/v1.2.3/abc" };
        options.Headers.Add(new("X-Custom", "hello"));
        using var channel = AgentChannels.Create(kas.AgentAddress, options);

        var calls = Enumerable.Range(0, 20).Select(i => EchoAsync(channel, [new byte[] { (byte)i, 1, 2 }], cts.Token)).ToList();
        var results = await Task.WhenAll(calls);

        for (var i = 0; i < results.Length; i++)
        {
            Assert.Equal(new byte[] { (byte)i, 1, 2 }, Assert.Single(results[i]));
        }

        var handshake = Assert.Single(handshakes);
        Assert.Equal("agentk/v1.2.3/abc", handshake.UserAgent);
        Assert.Equal("hello", handshake.Custom);
        Assert.Equal(WebSocketTunnel.SubProtocol, handshake.Protocol);
    }

    [Theory]
    [InlineData(KasTransport.Grpc, "ws")]
    [InlineData(KasTransport.Grpcs, "wss")]
    public async Task WebSocket_address_against_plain_grpc_listener_explains_the_mismatch(KasTransport transport, string scheme)
    {
        await using var kas = await StartEchoServer(transport);
        var wrong = new UriBuilder(kas.AgentAddress) { Scheme = scheme }.Uri;
        using var channel = AgentChannels.Create(wrong);

        var e = await Assert.ThrowsAsync<RpcException>(() => EchoAsync(channel, [[1]], CancellationToken.None));

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Contains("did not accept a WebSocket handshake", e.Status.Detail + e.Status.DebugException, StringComparison.Ordinal);
        Assert.Contains("grpc://", e.Status.Detail + e.Status.DebugException, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(KasTransport.Ws)]
    [InlineData(KasTransport.Wss)]
    public async Task Plain_http_request_to_websocket_listener_is_told_to_use_ws(KasTransport transport)
    {
        await using var kas = await StartEchoServer(transport);
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var http = new HttpClient(handler);
        var url = new UriBuilder(kas.AgentAddress) { Scheme = transport == KasTransport.Ws ? "http" : "https" }.Uri;

        using var response = await http.GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("use a ws:// or wss:// KAS address", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wss_with_untrusted_certificate_fails_and_ca_file_fixes_it()
    {
        await using var kas = await StartEchoServer(KasTransport.Wss);
        var untrusting = new KasWebSocketClientOptions();
        untrusting.CaCertificates.Add(X509CertificateLoaderHelper.SelfSignedOther());
        using (var channel = AgentChannels.Create(kas.AgentAddress, untrusting))
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => EchoAsync(channel, [[1]], CancellationToken.None));
            Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        }

        var trusting = new KasWebSocketClientOptions().AddCaCertificateFile(SharedTls.CaFile);
        using (var channel = AgentChannels.Create(kas.AgentAddress, trusting))
        {
            Assert.Equal(new byte[] { 9 }, Assert.Single(await EchoAsync(channel, [[9]], CancellationToken.None)));
        }
    }

    [Fact]
    public async Task Unreachable_kas_is_reported_as_connection_failure()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var e = await Assert.ThrowsAsync<IOException>(async () =>
            await KasWebSocketTransport.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/"), new KasWebSocketClientOptions()));

        Assert.Contains("Cannot connect to KAS", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_ca_file_names_the_file()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new KasWebSocketClientOptions().AddCaCertificateFile("/nonexistent/ca.pem"));
        Assert.Contains("/nonexistent/ca.pem", e.Message, StringComparison.Ordinal);
    }
}

internal static class X509CertificateLoaderHelper
{
    public static System.Security.Cryptography.X509Certificates.X509Certificate2 SelfSignedOther()
    {
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=other-ca", key, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }
}

public sealed class GrpcAgainstWebSocketListenerTests
{
    [Theory]
    [InlineData(KasTransport.Ws, "grpc")]
    [InlineData(KasTransport.Wss, "grpcs")]
    public async Task Grpc_address_against_websocket_listener_is_told_to_use_ws(KasTransport transport, string scheme)
    {
        await using var kas = await TestKasServer.StartAsync(transport, _ => { }, _ => { });
        var wrong = new UriBuilder(kas.AgentAddress) { Scheme = scheme }.Uri;
        using var channel = AgentChannels.Create(wrong);
        var client = new Gitlab.Agent.Protocol.AgentRegistrar.AgentRegistrar.AgentRegistrarClient(channel);

        var e = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await client.RegisterAsync(new()));

        var explanation = Gitlab.Agent.Tunnel.Transport.KasConnectionErrors.ExplainSchemeMismatch(wrong, e);
        Assert.NotNull(explanation);
        Assert.Contains("use a ws:// or wss:// KAS address", explanation, StringComparison.Ordinal);
    }
}
