using System.Net.WebSockets;
using Gitlab.Agent.Agentk.Kas;

namespace Gitlab.Agent.Agentk.Tests.Infrastructure;

/// <summary>
/// A minimal ws/wss transport written against the public <see cref="IKasTransport"/> seam (as the Tunnel package will):
/// it dials a WebSocket with subprotocol <c>ws-tunnel</c> and runs HTTP/2 inside it.
/// </summary>
public sealed class TestWebSocketTransport : IKasTransport
{
    public IReadOnlyCollection<string> Schemes { get; } = ["ws", "wss"];

    public KasTransportChannel CreateChannel(KasTransportContext context)
    {
        var handler = context.CreateHttpHandler();
        var target = new UriBuilder(context.Address) { Scheme = context.Address.Scheme == "wss" ? "wss" : "ws" }.Uri;
        handler.ConnectCallback = async (_, cancellationToken) =>
        {
            var socket = new ClientWebSocket();
            socket.Options.AddSubProtocol("ws-tunnel");
            socket.Options.SetRequestHeader("User-Agent", context.UserAgent);
            var tls = new System.Net.Security.SslClientAuthenticationOptions();
            context.ConfigureTls(tls);
            socket.Options.RemoteCertificateValidationCallback = tls.RemoteCertificateValidationCallback;
            await socket.ConnectAsync(target, cancellationToken);
            return WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: true);
        };
        return new KasTransportChannel(new Uri("http://kas.websocket"), handler);
    }
}
