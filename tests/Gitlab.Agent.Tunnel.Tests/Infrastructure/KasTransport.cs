namespace Gitlab.Agent.Tunnel.Tests.Infrastructure;

/// <summary>How agentk reaches KAS's agent listener.</summary>
public enum KasTransport
{
    Grpc,
    Grpcs,
    Ws,
    Wss,
}
