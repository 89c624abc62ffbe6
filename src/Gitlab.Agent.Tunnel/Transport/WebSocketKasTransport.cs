using Gitlab.Agent.Agentk.Kas;

namespace Gitlab.Agent.Tunnel.Transport;

/// <summary>agentk's <c>ws://</c>/<c>wss://</c> transport, plugged into the agentk runtime's <see cref="IKasTransport"/> seam.</summary>
internal sealed class WebSocketKasTransport : IKasTransport
{
    public IReadOnlyCollection<string> Schemes { get; } = ["ws", "wss"];

    public KasTransportChannel CreateChannel(KasTransportContext context)
    {
        var options = new KasWebSocketClientOptions
        {
            UserAgent = context.UserAgent,
            KeepAlivePingDelay = context.KeepAlivePingDelay,
            ConfigureTls = context.ConfigureTls,
        };
        foreach (var header in context.Headers)
        {
            options.Headers.Add(header);
        }

        return new KasTransportChannel(KasWebSocketTransport.GetChannelAddress(context.Address), KasWebSocketTransport.CreateHttpHandler(context.Address, options));
    }
}
