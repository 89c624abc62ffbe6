using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;

namespace Gitlab.Agent.Tunnel.Transport;

/// <summary>Lets Kestrel listen on <see cref="WebSocketTunnelEndPoint"/>s; asked before the socket transport.</summary>
internal sealed class WebSocketConnectionListenerFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public bool CanBind(EndPoint endpoint) => endpoint is WebSocketTunnelEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not WebSocketTunnelEndPoint ws)
        {
            throw new ArgumentException($"Cannot bind {endpoint}: only WebSocket tunnel end points are supported.", nameof(endpoint));
        }

        return ValueTask.FromResult<IConnectionListener>(new Listener(ws, ws.Bind()));
    }

    private sealed class Listener(WebSocketTunnelEndPoint endPoint, ChannelReader<WebSocketConnectionContext> connections) : IConnectionListener
    {
        public EndPoint EndPoint => endPoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                while (await connections.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (connections.TryRead(out var connection))
                    {
                        return connection;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (ChannelClosedException)
            {
            }

            // Null tells Kestrel the listener is done (required, or StopAsync hangs).
            return null;
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            endPoint.Unbind(connections);
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            endPoint.Unbind(connections);
            return ValueTask.CompletedTask;
        }
    }
}
