using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gitlab.Agent.Kas;

/// <summary>Remembers each listener's <see cref="ListenOptions"/>; Kestrel writes the bound endpoint back into them on start.</summary>
internal sealed class KasAddresses(KasRuntimeSettings settings) : IKasAddresses
{
    private readonly ConcurrentDictionary<KasListener, (ListenOptions Options, bool Tls)> _listeners = new();

    public Uri Agent => Get(KasListener.Agent) ?? throw NotConfigured(KasListener.Agent);

    public Uri Api => Get(KasListener.Api) ?? throw NotConfigured(KasListener.Api);

    public Uri Observability => Get(KasListener.Observability) ?? throw NotConfigured(KasListener.Observability);

    public Uri? KubernetesApi => Get(KasListener.KubernetesApi);

    public void Register(KasListener listener, ListenOptions options, bool tls) => _listeners[listener] = (options, tls);

    public Uri? Get(KasListener listener)
    {
        if (!_listeners.TryGetValue(listener, out var entry))
        {
            if (settings.Listeners.Any(l => l.Listener == listener))
            {
                throw new InvalidOperationException($"The KAS {listener} listener is not bound: addresses are known once the host has started (and only when KasOptions.ConfigureKestrel is on).");
            }

            return null;
        }

        var scheme = listener == KasListener.Agent
            ? settings.AgentWebSocket ? (entry.Tls ? "wss" : "ws") : (entry.Tls ? "grpcs" : "grpc")
            : (entry.Tls ? "https" : "http");
        switch (entry.Options.EndPoint)
        {
            case IPEndPoint { Port: 0 }:
                throw new InvalidOperationException($"The KAS {listener} listener is not bound yet: read addresses after the host has started.");
            case IPEndPoint ip:
                var host = ip.Address.Equals(IPAddress.Any) ? "127.0.0.1" : ip.Address.Equals(IPAddress.IPv6Any) ? "[::1]" : ip.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip.Address}]" : ip.Address.ToString();
                return new Uri($"{scheme}://{host}:{ip.Port}");
            case System.Net.Sockets.UnixDomainSocketEndPoint unix:
                return new Uri("unix:" + unix);
            default:
                return new Uri($"{scheme}://{entry.Options.EndPoint}");
        }
    }

    private static InvalidOperationException NotConfigured(KasListener listener) => new($"The KAS {listener} listener is not configured.");
}
