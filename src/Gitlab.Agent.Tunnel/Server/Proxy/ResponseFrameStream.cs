using Gitlab.Agent.Protocol.Grpctool;
using Gitlab.Agent.Shared;
using Google.Protobuf;
using Grpc.Core;
using GrpcHttpRequest = Gitlab.Agent.Protocol.Grpctool.HttpRequest;
using GrpcHttpResponse = Gitlab.Agent.Protocol.Grpctool.HttpResponse;

namespace Gitlab.Agent.Tunnel.Server.Proxy;

/// <summary>
/// Reads a proxied response body from the agent's frames (data until the trailer; for an upgraded connection,
/// upgradeData after the trailer) and, for upgraded connections, writes the client's bytes as upgradeData frames.
/// A broken tunnel surfaces as <see cref="IOException"/> so the forwarder aborts the client's response.
/// </summary>
internal sealed class ResponseFrameStream(
    AsyncDuplexStreamingCall<GrpcHttpRequest, GrpcHttpResponse> call,
    bool upgraded,
    TunnelHttpMessageHandler.FrameWriter? writer,
    Task requestBody) : AsyncOnlyStream
{
    private ReadOnlyMemory<byte> _pending;
    private bool _trailerSeen;
    private bool _eof;

    public override bool CanRead => true;

    public override bool CanWrite => upgraded;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_pending.IsEmpty)
        {
            if (_eof || !await NextAsync(cancellationToken).ConfigureAwait(false))
            {
                _eof = true;
                return 0;
            }
        }

        var n = Math.Min(buffer.Length, _pending.Length);
        _pending[..n].CopyTo(buffer);
        _pending = _pending[n..];
        return n;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (writer is null)
        {
            throw new NotSupportedException();
        }

        try
        {
            while (!buffer.IsEmpty)
            {
                var chunk = buffer[..Math.Min(buffer.Length, TunnelHttpMessageHandler.ChunkSize)];
                await writer.WriteAsync(new GrpcHttpRequest { UpgradeData = new GrpcHttpRequest.Types.UpgradeData { Data = ByteString.CopyFrom(chunk.Span) } }, cancellationToken).ConfigureAwait(false);
                buffer = buffer[chunk.Length..];
            }
        }
        catch (RpcException e)
        {
            throw new IOException($"Tunnel to the agent broke: {e.Status.Detail}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new IOException($"Tunnel to the agent is closed: {e.Message}", e);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (writer is not null)
        {
            try
            {
                await writer.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
            {
            }
        }

        call.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            call.Dispose();
        }

        base.Dispose(disposing);
    }

    private async Task<bool> NextAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                var frame = call.ResponseStream.Current;
                switch (frame.MessageCase)
                {
                    case GrpcHttpResponse.MessageOneofCase.Data when !_trailerSeen && !upgraded:
                        _pending = frame.Data.Data_.Memory;
                        return true;
                    case GrpcHttpResponse.MessageOneofCase.Trailer when !_trailerSeen:
                        _trailerSeen = true;
                        if (!upgraded)
                        {
                            await DrainAsync(cancellationToken).ConfigureAwait(false);
                            return false;
                        }

                        break;
                    case GrpcHttpResponse.MessageOneofCase.UpgradeData when _trailerSeen && upgraded:
                        _pending = frame.UpgradeData.Data.Memory;
                        return true;
                    default:
                        throw new IOException($"The agent sent '{frame.MessageCase}' out of order in a proxied response.");
                }
            }

            if (!_trailerSeen && !upgraded)
            {
                throw new IOException("The agent ended the response before its trailer.");
            }

            return false;
        }
        catch (RpcException e)
        {
            throw new IOException($"Tunnel to the agent broke: {e.StatusCode} {e.Status.Detail}", e);
        }
    }

    /// <summary>After the trailer only the end of the call may follow; surfaces an error status and waits for the request body copy.</summary>
    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            throw new IOException($"The agent sent '{call.ResponseStream.Current.MessageCase}' after the response trailer.");
        }

        try
        {
            await requestBody.ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or IOException or OperationCanceledException or InvalidOperationException)
        {
            // The response is complete; the agent may stop reading the request body early.
        }
    }
}
