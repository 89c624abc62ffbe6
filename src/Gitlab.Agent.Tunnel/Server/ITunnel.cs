using Gitlab.Agent.Protocol.ReverseTunnel;

namespace Gitlab.Agent.Tunnel.Server;

/// <summary>
/// One claimed tunnel stream, seen from the KAS side: send the request frames, read the agent's answer frames.
/// A tunnel found on another KAS (kas↔kas routing) would implement the same shape over the private API.
/// </summary>
internal interface ITunnel
{
    long Id { get; }

    /// <summary>
    /// Sends a frame to the agent. A <paramref name="buffered"/> frame may wait for the next unbuffered one or
    /// <see cref="FlushAsync"/>, so that the frames of one request leave in one write.
    /// </summary>
    ValueTask SendAsync(ConnectResponse frame, bool buffered, CancellationToken cancellationToken);

    /// <summary>Sends the buffered frames.</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken);

    /// <summary>Next frame from the agent, or <see langword="null"/> at end of stream.</summary>
    ValueTask<ConnectRequest?> ReadAsync(CancellationToken cancellationToken);

    /// <summary>Ends the tunnel stream; the agent then opens a fresh one.</summary>
    void Complete();
}

/// <summary>Finds a tunnel of an agent that serves a method; waits until one arrives.</summary>
internal interface ITunnelFinder
{
    /// <summary>Claims an idle tunnel if one is parked now (no waiting, no allocation of a waiter).</summary>
    bool TryClaimIdle(long agentId, string service, string method, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ITunnel? tunnel);

    /// <exception cref="OperationCanceledException">Cancelled before a tunnel arrived.</exception>
    Task<ITunnel> FindTunnelAsync(long agentId, string service, string method, CancellationToken cancellationToken);
}
