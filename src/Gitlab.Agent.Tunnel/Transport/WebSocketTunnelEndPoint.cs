using System.Net;
using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gitlab.Agent.Tunnel.Transport;

/// <summary>
/// KAS side of the <c>ws://</c>/<c>wss://</c> transport (<c>agent.listen.websocket: true</c>): a Kestrel endpoint whose
/// connections are WebSockets accepted by <see cref="AcceptAsync"/> on the agent listener. Bind it with
/// <c>kestrel.Listen(endPoint, o =&gt; o.Protocols = HttpProtocols.Http2)</c> after
/// <c>services.AddWebSocketTunnelTransport()</c>; every accepted WebSocket then carries one HTTP/2 (gRPC) connection served
/// by the same application. <see cref="Microsoft.AspNetCore.Http.ConnectionInfo.LocalPort"/> is 0 for such connections;
/// the connection's local end point is this object.
/// </summary>
public sealed class WebSocketTunnelEndPoint : EndPoint
{
    private Channel<WebSocketConnectionContext>? _connections;

    /// <summary>Creates an end point.</summary>
    /// <param name="name">Name used in logs and in <see cref="ToString"/> (for example <c>agent</c>).</param>
    public WebSocketTunnelEndPoint(string name = "agent")
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>Name of the end point.</summary>
    public string Name { get; }

    /// <summary>Whether Kestrel currently listens on this end point.</summary>
    public bool IsBound => _connections is not null;

    /// <summary>
    /// Handles a request that arrived on the agent listener's own socket (route every such request here, see
    /// <see cref="IsTunnelled"/>): accepts the WebSocket (subprotocol <c>ws-tunnel</c>), hands it to Kestrel as a new
    /// connection and completes when that connection ends. A request that is not a <c>ws-tunnel</c> WebSocket handshake
    /// gets 400 with an explanation; a gRPC call (an agent configured with a <c>grpc://</c> address; the listener must
    /// allow HTTP/1.1 and HTTP/2) gets <c>FailedPrecondition</c> telling it to use <c>ws://</c> or <c>wss://</c>.
    /// </summary>
    public async Task AcceptAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
        {
            // An agent configured with grpc:// or grpcs:// (the listener must allow HTTP/2 for this answer to arrive).
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/grpc";
            context.Response.AppendTrailer("grpc-status", "9");
            context.Response.AppendTrailer("grpc-message", Uri.EscapeDataString(
                "This KAS agent listener serves gRPC inside WebSockets (agent.listen.websocket: true): use a ws:// or wss:// KAS address, not grpc:// or grpcs://."));
            return;
        }

        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        var headers = context.Request.Headers;
        if (upgrade is not { IsUpgradableRequest: true } || !HttpMethods.IsGet(context.Request.Method)
            || !string.Equals(headers.Upgrade.ToString(), "websocket", StringComparison.OrdinalIgnoreCase))
        {
            await RejectAsync(context,
                "This KAS agent listener serves gRPC inside WebSockets (agent.listen.websocket: true): use a ws:// or wss:// KAS address, not grpc:// or grpcs://.")
                .ConfigureAwait(false);
            return;
        }

        var key = headers.SecWebSocketKey.ToString();
        if (key.Length == 0 || headers.SecWebSocketVersion.ToString() != "13")
        {
            await RejectAsync(context, "Invalid WebSocket handshake: Sec-WebSocket-Key and Sec-WebSocket-Version: 13 are required.").ConfigureAwait(false);
            return;
        }

        var protocols = headers.SecWebSocketProtocol.SelectMany(p => (p ?? string.Empty).Split(',')).Select(p => p.Trim());
        if (!protocols.Contains(WebSocketTunnel.SubProtocol, StringComparer.Ordinal))
        {
            await RejectAsync(context, $"WebSocket subprotocol '{WebSocketTunnel.SubProtocol}' is required.").ConfigureAwait(false);
            return;
        }

        var connections = _connections;
        if (connections is null)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        // The handshake is done here rather than by the WebSockets middleware, so hosts need no UseWebSockets().
        context.Response.Headers.Upgrade = "websocket";
#pragma warning disable CA5350 // RFC 6455 defines Sec-WebSocket-Accept with SHA-1; it is not used for security.
        context.Response.Headers.SecWebSocketAccept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
#pragma warning restore CA5350
        context.Response.Headers.SecWebSocketProtocol = WebSocketTunnel.SubProtocol;
        var opaque = await upgrade.UpgradeAsync().ConfigureAwait(false);
        var ws = WebSocket.CreateFromStream(opaque, new WebSocketCreationOptions
        {
            IsServer = true,
            SubProtocol = WebSocketTunnel.SubProtocol,
            KeepAliveInterval = TimeSpan.Zero,
        });

        var remote = context.Connection.RemoteIpAddress is { } ip ? new IPEndPoint(ip, context.Connection.RemotePort) : null;
        var connection = new WebSocketConnectionContext(ws, this, remote);
        await using (connection.ConfigureAwait(false))
        {
            if (!connections.Writer.TryWrite(connection))
            {
                // Unbound in the meantime.
                return;
            }

            using var registration = context.RequestAborted.Register(static c => ((WebSocketConnectionContext)c!).Abort(), connection);
            await connection.Completion.ConfigureAwait(false);
        }
    }

    /// <summary>Whether <paramref name="context"/> arrived inside a tunnelled WebSocket rather than on the listener's own socket.</summary>
    public static bool IsTunnelled(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Features.Get<IConnectionEndPointFeature>()?.LocalEndPoint is WebSocketTunnelEndPoint;
    }

    /// <inheritdoc />
    public override string ToString() => $"ws-tunnel:{Name}";

    internal ChannelReader<WebSocketConnectionContext> Bind()
    {
        var channel = Channel.CreateUnbounded<WebSocketConnectionContext>(new UnboundedChannelOptions { SingleReader = false });
        if (Interlocked.CompareExchange(ref _connections, channel, null) is not null)
        {
            throw new InvalidOperationException($"Kestrel already listens on {this}.");
        }

        return channel.Reader;
    }

    internal void Unbind(ChannelReader<WebSocketConnectionContext> reader)
    {
        var channel = _connections;
        if (channel is not null && channel.Reader == reader && Interlocked.CompareExchange(ref _connections, null, channel) == channel)
        {
            channel.Writer.TryComplete();
        }
    }

    private static async Task RejectAsync(HttpContext context, string message)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(message + "\n", context.RequestAborted).ConfigureAwait(false);
    }
}
