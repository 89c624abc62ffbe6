using Gitlab.Agent.Tunnel.Transport;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of the KAS side of the WebSocket transport.</summary>
public static class WebSocketTunnelServiceCollectionExtensions
{
    /// <summary>
    /// Lets Kestrel listen on <see cref="WebSocketTunnelEndPoint"/>s (idempotent). Then call
    /// <c>kestrel.Listen(endPoint, o =&gt; o.Protocols = HttpProtocols.Http2)</c> and route WebSocket requests of the agent
    /// listener to <see cref="WebSocketTunnelEndPoint.AcceptAsync"/> (after <c>app.UseWebSockets()</c>).
    /// </summary>
    public static IServiceCollection AddWebSocketTunnelTransport(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConnectionListenerFactory, WebSocketConnectionListenerFactory>());
        return services;
    }
}
