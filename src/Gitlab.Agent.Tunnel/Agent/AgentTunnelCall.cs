using System.Threading.Channels;
using Gitlab.Agent.Protocol.ReverseTunnel;
using Gitlab.Agent.Tunnel.Internal;
using Google.Protobuf;
using Grpc.Core;

namespace Gitlab.Agent.Tunnel.Agent;

/// <summary>One call KAS sent through a tunnel stream, as seen by the agent-side handler (payloads are raw bytes).</summary>
internal sealed class AgentTunnelCall
{
    private readonly Func<ConnectRequest, CancellationToken, Task> _send;
    private readonly ChannelReader<ByteString> _requests;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    public AgentTunnelCall(string method, Metadata requestHeaders, ChannelReader<ByteString> requests, Func<ConnectRequest, CancellationToken, Task> send)
    {
        Method = method;
        RequestHeaders = requestHeaders;
        _requests = requests;
        _send = send;
    }

    /// <summary>Full method name, <c>/service/method</c>.</summary>
    public string Method { get; }

    public Metadata RequestHeaders { get; }

    /// <summary>Trailers sent after the handler returns.</summary>
    public Metadata ResponseTrailers { get; } = [];

    public bool HeadersSent { get; private set; }

    /// <summary>The caller's messages until it half-closes.</summary>
    public IAsyncEnumerable<ByteString> ReadRequestsAsync(CancellationToken cancellationToken) => _requests.ReadAllAsync(cancellationToken);

    public async Task SendHeadersAsync(Metadata? headers, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SendHeadersLockedAsync(headers, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task SendMessageAsync(ByteString data, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SendHeadersLockedAsync(null, cancellationToken).ConfigureAwait(false);
            await _send(new ConnectRequest { Message = new Message { Data = data } }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends the end of the answer: trailer after success; trailer + error or only error after a failure.</summary>
    internal async Task FinishAsync(Status? error, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (error is null)
            {
                await SendHeadersLockedAsync(null, cancellationToken).ConfigureAwait(false);
            }

            if (HeadersSent)
            {
                var trailer = new Trailer();
                MetadataConversion.CopyTo(ResponseTrailers, trailer.Meta);
                await _send(new ConnectRequest { Trailer = trailer }, cancellationToken).ConfigureAwait(false);
            }

            if (error is { } status)
            {
                await _send(new ConnectRequest
                {
                    Error = new Error { Status = new Protocol.GoogleRpc.Status { Code = (int)status.StatusCode, Message = status.Detail } },
                }, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task SendHeadersLockedAsync(Metadata? headers, CancellationToken cancellationToken)
    {
        if (HeadersSent)
        {
            return;
        }

        var header = new Header();
        MetadataConversion.CopyTo(headers, header.Meta);
        await _send(new ConnectRequest { Header = header }, cancellationToken).ConfigureAwait(false);
        HeadersSent = true;
    }
}
