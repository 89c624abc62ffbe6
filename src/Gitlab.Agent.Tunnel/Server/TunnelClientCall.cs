using System.Buffers;
using System.Threading.Channels;
using Gitlab.Agent.Protocol.ReverseTunnel;
using Gitlab.Agent.Tunnel.Internal;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Tunnel.Server;

/// <summary>
/// One gRPC call made by KAS code to an agent through a tunnel: finds a tunnel, sends <c>RequestInfo</c>, the caller's
/// messages as raw bytes and <c>CloseSend</c>, and replays the agent's header, messages, trailer and error.
/// </summary>
internal sealed class TunnelClientCall<TRequest, TResponse> : IClientStreamWriter<TRequest>, IAsyncStreamReader<TResponse>
    where TRequest : class
    where TResponse : class
{
    private const string NotFoundMessage = "Agent connection not found. Is agent up to date and connected?";

    private readonly long _agentId;
    private readonly Method<TRequest, TResponse> _method;
    private readonly CallOptions _options;
    private readonly ITunnelFinder _finder;
    private readonly TunnelServerOptions _serverOptions;
    private readonly TunnelMetrics _metrics;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _cts;
    private readonly Channel<ByteString> _outgoing = Channel.CreateBounded<ByteString>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
    private readonly Channel<ByteString> _incoming = Channel.CreateBounded<ByteString>(new BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource<Metadata> _headers = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Status? _status;
    private Metadata _trailers = [];

    public TunnelClientCall(long agentId, Method<TRequest, TResponse> method, CallOptions options, ITunnelFinder finder, TunnelServerOptions serverOptions, TunnelMetrics metrics, ILogger logger)
    {
        _agentId = agentId;
        _method = method;
        _options = options;
        _finder = finder;
        _serverOptions = serverOptions;
        _metrics = metrics;
        _logger = logger;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken);
        if (options.Deadline is { } deadline && deadline != DateTime.MaxValue)
        {
            var remaining = deadline.ToUniversalTime() - DateTime.UtcNow;
            _cts.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
        }
    }

    public Task<Metadata> ResponseHeadersAsync => _headers.Task;

    public TResponse Current { get; private set; } = null!;

    public WriteOptions? WriteOptions { get; set; }

    public void Start() => _ = RunAsync();

    public Status GetStatus() => _status ?? throw new InvalidOperationException("The call has not finished yet.");

    public Metadata GetTrailers() => _status is null ? throw new InvalidOperationException("The call has not finished yet.") : _trailers;

    public void Dispose()
    {
        if (!_finished.Task.IsCompleted)
        {
            try
            {
                _cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    public async Task WriteAsync(TRequest message) => await WriteAsync(message, CancellationToken.None).ConfigureAwait(false);

    public async Task WriteAsync(TRequest message, CancellationToken cancellationToken)
    {
        var bytes = ByteString.CopyFrom(Serialize(message));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cts.Token);
        try
        {
            await _outgoing.Writer.WriteAsync(bytes, linked.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ChannelClosedException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            await _finished.Task.ConfigureAwait(false);
            throw new RpcException(_status ?? new Status(StatusCode.Cancelled, "Call cancelled."), _trailers);
        }
    }

    public Task CompleteAsync()
    {
        _outgoing.Writer.TryComplete();
        return Task.CompletedTask;
    }

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        while (await _incoming.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_incoming.Reader.TryRead(out var data))
            {
                Current = Deserialize(data);
                return true;
            }
        }

        await _finished.Task.ConfigureAwait(false);
        if (_status!.Value.StatusCode != StatusCode.OK)
        {
            throw new RpcException(_status.Value, _trailers);
        }

        return false;
    }

    private async Task RunAsync()
    {
        var ct = _cts.Token;
        ITunnel? tunnel = null;
        var status = Status.DefaultSuccess;
        try
        {
            using (var findTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                findTimeout.CancelAfter(_serverOptions.FindTimeout);
                try
                {
                    tunnel = await _finder.FindTunnelAsync(_agentId, _method.ServiceName, _method.Name, findTimeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    TunnelLog.TunnelNotFound(_logger, _agentId, _method.FullName, _serverOptions.FindTimeout);
                    _metrics.RoutingFailures.Add(1, new KeyValuePair<string, object?>("reason", "not_found"));
                    status = new Status(StatusCode.DeadlineExceeded, NotFoundMessage);
                    return;
                }
            }

            _metrics.RequestsRouted.Add(1);
            var info = new RequestInfo { MethodName = _method.FullName };
            MetadataConversion.CopyTo(_options.Headers, info.Meta);
            await tunnel.SendAsync(new ConnectResponse { RequestInfo = info }, ct).ConfigureAwait(false);
            using var sendCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var send = SendLoopAsync(tunnel, sendCts.Token);
            try
            {
                status = await ReceiveLoopAsync(tunnel, ct).ConfigureAwait(false);
            }
            finally
            {
                // The agent finished: stop forwarding what the caller still writes.
                await sendCts.CancelAsync().ConfigureAwait(false);
                try
                {
                    await send.ConfigureAwait(false);
                }
                catch (Exception) when (sendCts.IsCancellationRequested)
                {
                }
            }

            if (status.StatusCode != StatusCode.OK)
            {
                TunnelLog.TunnelCallFailed(_logger, _method.FullName, _agentId, tunnel.Id, status.StatusCode, status.Detail);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            status = _options.Deadline is { } d && d.ToUniversalTime() <= DateTime.UtcNow
                ? new Status(StatusCode.DeadlineExceeded, "Deadline exceeded.")
                : new Status(StatusCode.Cancelled, "Call cancelled.");
        }
        catch (RpcException e)
        {
            status = e.Status;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException or ProtocolViolationException)
        {
            _metrics.RoutingFailures.Add(1, new KeyValuePair<string, object?>("reason", "tunnel_broken"));
            status = new Status(StatusCode.Unavailable, $"Tunnel to agent {_agentId} broke: {e.Message}", e);
        }
        finally
        {
            tunnel?.Complete();
            _status = status;
            if (status.StatusCode == StatusCode.OK)
            {
                _headers.TrySetResult([]);
            }
            else
            {
                _headers.TrySetException(new RpcException(status, _trailers));
            }

            _outgoing.Writer.TryComplete();
            _incoming.Writer.TryComplete();
            _finished.TrySetResult();
            _cts.Dispose();
        }
    }

    private async Task SendLoopAsync(ITunnel tunnel, CancellationToken ct)
    {
        await foreach (var data in _outgoing.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            _metrics.BytesToAgent.Add(data.Length);
            await tunnel.SendAsync(new ConnectResponse { Message = new Message { Data = data } }, ct).ConfigureAwait(false);
        }

        await tunnel.SendAsync(new ConnectResponse { CloseSend = new CloseSend() }, ct).ConfigureAwait(false);
    }

    /// <summary>Enforces (header → message* → trailer → [error]) | error, then EOF.</summary>
    private async Task<Status> ReceiveLoopAsync(ITunnel tunnel, CancellationToken ct)
    {
        var state = ReceiveState.ExpectHeader;
        Status? error = null;
        while (true)
        {
            var frame = await tunnel.ReadAsync(ct).ConfigureAwait(false);
            if (frame is null)
            {
                return state switch
                {
                    ReceiveState.AfterTrailer => Status.DefaultSuccess,
                    ReceiveState.AfterError => error!.Value,
                    ReceiveState.ExpectHeader => new Status(StatusCode.Unavailable, $"Agent {_agentId} closed the tunnel without answering."),
                    _ => new Status(StatusCode.Unavailable, $"Agent {_agentId} closed the tunnel before the trailer."),
                };
            }

            switch (frame.MsgCase)
            {
                case ConnectRequest.MsgOneofCase.Header when state == ReceiveState.ExpectHeader:
                    _headers.TrySetResult(MetadataConversion.ToMetadata(frame.Header.Meta));
                    state = ReceiveState.Messages;
                    break;
                case ConnectRequest.MsgOneofCase.Message when state == ReceiveState.Messages:
                    _metrics.BytesFromAgent.Add(frame.Message.Data.Length);
                    await _incoming.Writer.WriteAsync(frame.Message.Data, ct).ConfigureAwait(false);
                    break;
                case ConnectRequest.MsgOneofCase.Trailer when state == ReceiveState.Messages:
                    _trailers = MetadataConversion.ToMetadata(frame.Trailer.Meta);
                    state = ReceiveState.AfterTrailer;
                    break;
                case ConnectRequest.MsgOneofCase.Error when state is ReceiveState.ExpectHeader or ReceiveState.AfterTrailer:
                    var s = frame.Error.Status;
                    error = s is null
                        ? new Status(StatusCode.Internal, "Agent sent an error without status.")
                        : new Status((StatusCode)s.Code, s.Message);
                    state = ReceiveState.AfterError;
                    break;
                default:
                    throw new ProtocolViolationException($"Tunnel protocol violation by agent {_agentId}: '{frame.MsgCase}' after {state}.");
            }
        }
    }

    private byte[] Serialize(TRequest message)
    {
        var context = new ByteArraySerializationContext();
        _method.RequestMarshaller.ContextualSerializer(message, context);
        return context.Result ?? throw new InvalidOperationException("Serializer produced no payload.");
    }

    private TResponse Deserialize(ByteString data) =>
        _method.ResponseMarshaller.ContextualDeserializer(new MemoryDeserializationContext(data.Memory));

    private enum ReceiveState
    {
        ExpectHeader,
        Messages,
        AfterTrailer,
        AfterError,
    }

    private sealed class ByteArraySerializationContext : SerializationContext
    {
        private ArrayBufferWriter<byte>? _writer;

        public byte[]? Result { get; private set; }

        public override void Complete(byte[] payload) => Result = payload;

        public override IBufferWriter<byte> GetBufferWriter() => _writer ??= new ArrayBufferWriter<byte>();

        public override void SetPayloadLength(int payloadLength)
        {
        }

        public override void Complete() => Result = _writer?.WrittenSpan.ToArray() ?? [];
    }

    private sealed class MemoryDeserializationContext(ReadOnlyMemory<byte> payload) : DeserializationContext
    {
        public override int PayloadLength => payload.Length;

        public override byte[] PayloadAsNewBuffer() => payload.ToArray();

        public override ReadOnlySequence<byte> PayloadAsReadOnlySequence() => new(payload);
    }
}

/// <summary>The agent broke the tunnel's frame order.</summary>
internal sealed class ProtocolViolationException(string message) : Exception(message);
