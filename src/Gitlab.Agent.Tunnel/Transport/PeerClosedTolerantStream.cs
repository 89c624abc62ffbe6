using System.Net.WebSockets;
using Gitlab.Agent.Shared;

namespace Gitlab.Agent.Tunnel.Transport;

/// <summary>
/// Wraps a WebSocket stream so that writes after the peer went away are dropped instead of failing: Kestrel writes a
/// GOAWAY frame while closing a connection and would log an error for a socket the agent already closed.
/// Reads surface a lost socket as end of stream.
/// </summary>
internal sealed class PeerClosedTolerantStream(Stream inner) : AsyncOnlyStream
{
    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsPeerGone(e) && !cancellationToken.IsCancellationRequested)
        {
            return 0;
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsPeerGone(e) && !cancellationToken.IsCancellationRequested)
        {
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private static bool IsPeerGone(Exception e) => e is ObjectDisposedException or WebSocketException or IOException;
}
