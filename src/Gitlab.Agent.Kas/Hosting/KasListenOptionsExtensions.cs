using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gitlab.Agent.Kas;

/// <summary>Kestrel integration for transports that add their own endpoints to a KAS listener.</summary>
public static class KasListenOptionsExtensions
{
    /// <summary>
    /// Tags every connection of this Kestrel endpoint as belonging to <paramref name="listener"/>: its requests are
    /// routed to that listener's endpoints and, for <see cref="KasListener.Agent"/>, authenticated as agent calls. KAS does
    /// this for the listeners of its configuration; a transport such as gRPC-inside-WebSocket uses it for its extra endpoint.
    /// </summary>
    public static ListenOptions UseKasListener(this ListenOptions listenOptions, KasListener listener)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        KasListenerTag.Use(listenOptions, listener);
        return listenOptions;
    }
}
