namespace Gitlab.Agent.Tunnel.Transport;

/// <summary>Constants of the gRPC-inside-a-WebSocket transport between agentk and KAS (<c>ws://</c> and <c>wss://</c> addresses).</summary>
public static class WebSocketTunnel
{
    /// <summary>The WebSocket subprotocol both sides require: <c>ws-tunnel</c>.</summary>
    public const string SubProtocol = "ws-tunnel";

    /// <summary>Largest WebSocket message the agent accepts from KAS and vice versa (10 MiB, as upstream).</summary>
    public const int MaxMessageSize = 10 * 1024 * 1024;
}
