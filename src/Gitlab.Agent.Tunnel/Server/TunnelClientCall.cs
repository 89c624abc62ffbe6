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
    private readonly CancellationToken _callToken;
    private readonly Channel<ByteString> _outgoing = Channel.CreateBounded<ByteString>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
    // The reader continues inline on the receive loop: one thread-pool hop less per message from the agent.
    private readonly Channel<ByteString> _incoming = Channel.CreateBounded<ByteString>(new BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true, AllowSynchronousContinuations = true });
    private readonly TaskCompletionSource<Metadata> _headers = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private const int MaxAttempts = 3;
    private const long MaxReplayBytes = 1024 * 1024;
    private const long MaxUnflushedBytes = 256 * 1024;
    private readonly List<ByteString> _replay = [];
    private long _replayBytes;
    private volatile bool _replayable = true;
    private bool _headerReceived;
    private bool _callerClosed;
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

        // Taken once: the source is disposed when the call ends, while the caller may still write.
        _callToken = _cts.Token;
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

    /// <summary>
    /// Queues a message for the agent. Like Grpc.Net.Client, a write after the call ended throws
    /// <see cref="InvalidOperationException"/> when the agent already answered successfully, else the call's <see cref="RpcException"/>.
    /// </summary>
    public async Task WriteAsync(TRequest message, CancellationToken cancellationToken)
    {
        var bytes = UnsafeByteOperations.UnsafeWrap(Serialize(message));
        using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _callToken) : null;
        try
        {
            await _outgoing.Writer.WriteAsync(bytes, linked?.Token ?? _callToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ChannelClosedException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            await _finished.Task.ConfigureAwait(false);
            var status = _status ?? new Status(StatusCode.Cancelled, "Call cancelled.");
            if (status.StatusCode == StatusCode.OK)
            {
                throw new InvalidOperationException("Can't write the message because the call is complete.", e);
            }

            throw new RpcException(status, _trailers);
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
        var ct = _callToken;
        Status status;
        try
        {
            status = await RouteAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            status = _options.Deadline is { } d && d.ToUniversalTime() <= DateTime.UtcNow
                ? new Status(StatusCode.DeadlineExceeded, "Deadline exceeded.")
                : new Status(StatusCode.Cancelled, "Call cancelled.");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            status = new Status(StatusCode.Internal, $"Call to agent {_agentId} failed: {e.Message}", e);
        }

        _status = status;
        if (status.StatusCode == StatusCode.OK)
        {
            _headers.TrySetResult([]);
        }
        else
        {
            _headers.TrySetException(new RpcException(status, _trailers));
        }

        // Finished first: the reader continues inline when the incoming channel completes and then finds the status.
        _finished.TrySetResult();
        _outgoing.Writer.TryComplete();
        _incoming.Writer.TryComplete();
        _cts.Dispose();
    }

    /// <summary>Finds a tunnel and makes the call, moving to another tunnel when the agent retired the claimed one.</summary>
    private async Task<Status> RouteAsync(CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            ct.ThrowIfCancellationRequested();
            if (!_finder.TryClaimIdle(_agentId, _method.ServiceName, _method.Name, out var tunnel))
            {
                using var findTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                findTimeout.CancelAfter(_serverOptions.FindTimeout);
                try
                {
                    tunnel = await _finder.FindTunnelAsync(_agentId, _method.ServiceName, _method.Name, findTimeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    TunnelLog.TunnelNotFound(_logger, _agentId, _method.FullName, _serverOptions.FindTimeout);
                    _metrics.RoutingFailures.Add(1, new KeyValuePair<string, object?>("reason", "not_found"));
                    return new Status(StatusCode.DeadlineExceeded, NotFoundMessage);
                }
            }

            _metrics.RequestsRouted.Add(1);
            Status status;
            bool retry;
            try
            {
                (status, retry) = await AttemptAsync(tunnel, ct).ConfigureAwait(false);
            }
            finally
            {
                tunnel.Complete();
            }

            if (retry && attempt < MaxAttempts && _replayable)
            {
                // The agent closed this idle tunnel as we claimed it and never read the request: use another one.
                _metrics.RoutingFailures.Add(1, new KeyValuePair<string, object?>("reason", "tunnel_retired"));
                continue;
            }

            if (status.StatusCode != StatusCode.OK)
            {
                TunnelLog.TunnelCallFailed(_logger, _method.FullName, _agentId, tunnel.Id, status.StatusCode, status.Detail);
            }

            return status;
        }
    }

    /// <summary>One use of one tunnel. Returns the call's status and whether it may be retried on another tunnel.</summary>
    private async Task<(Status Status, bool Retry)> AttemptAsync(ITunnel tunnel, CancellationToken ct)
    {
        using var sendCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task? send = null;
        try
        {
            var info = new RequestInfo { MethodName = _method.FullName };
            MetadataConversion.CopyTo(_options.Headers, info.Meta);
            await tunnel.SendAsync(new ConnectResponse { RequestInfo = info }, buffered: true, ct).ConfigureAwait(false);
            List<ByteString> replay;
            lock (_replay)
            {
                replay = [.. _replay];
            }

            foreach (var data in replay)
            {
                await tunnel.SendAsync(new ConnectResponse { Message = new Message { Data = data } }, buffered: true, ct).ConfigureAwait(false);
            }

            if (replay.Count > 0 && Volatile.Read(ref _callerClosed))
            {
                await tunnel.SendAsync(new ConnectResponse { CloseSend = new CloseSend() }, buffered: false, ct).ConfigureAwait(false);
            }
            else
            {
                send = SendLoopAsync(tunnel, sendCts.Token);
            }

            return (await ReceiveLoopAsync(tunnel, ct).ConfigureAwait(false), false);
        }
        catch (TunnelRetiredException)
        {
            return (new Status(StatusCode.Unavailable, $"Agent {_agentId} closed the tunnel before answering."), true);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is IOException or InvalidOperationException or ObjectDisposedException or OperationCanceledException or RpcException or ProtocolViolationException)
        {
            _metrics.RoutingFailures.Add(1, new KeyValuePair<string, object?>("reason", "tunnel_broken"));
            var detail = e is RpcException rpc ? rpc.Status.Detail : e.Message;
            return (new Status(StatusCode.Unavailable, $"Tunnel to agent {_agentId} broke: {detail}", e), false);
        }
        finally
        {
            // The agent finished (or the tunnel broke): stop forwarding what the caller still writes.
            sendCts.CancelInline();
            if (send is not null)
            {
                try
                {
                    await send.ConfigureAwait(false);
                }
                catch (Exception) when (sendCts.IsCancellationRequested || send.IsFaulted)
                {
                }
            }
        }
    }

    /// <summary>
    /// Forwards the caller's messages. Frames go out buffered while more are queued and are flushed when the queue runs
    /// dry, so the frames of a request the caller wrote at once (request info, header, trailer, close) share one write.
    /// </summary>
    private async Task SendLoopAsync(ITunnel tunnel, CancellationToken ct)
    {
        var reader = _outgoing.Reader;
        if (!reader.TryPeek(out _) && !reader.Completion.IsCompleted)
        {
            // The call starts before the caller's first write: let it queue what it writes at once.
            await Task.Yield();
        }

        var unflushed = 0L;
        while (true)
        {
            while (reader.TryRead(out var data))
            {
                // Kept until the agent answers, so the request can move to another tunnel if this one was being closed.
                if (_replayable && !Volatile.Read(ref _headerReceived))
                {
                    lock (_replay)
                    {
                        _replay.Add(data);
                        _replayBytes += data.Length;
                        if (_replayBytes > MaxReplayBytes)
                        {
                            _replayable = false;
                            _replay.Clear();
                        }
                    }
                }

                _metrics.BytesToAgent.Add(data.Length);
                await tunnel.SendAsync(new ConnectResponse { Message = new Message { Data = data } }, buffered: true, ct).ConfigureAwait(false);
                unflushed += data.Length;
                if (unflushed >= MaxUnflushedBytes)
                {
                    // A caller that keeps the queue full (a large upload) still gets flushes and back-pressure.
                    unflushed = 0;
                    await tunnel.FlushAsync(ct).ConfigureAwait(false);
                }
            }

            if (reader.Completion.IsCompleted)
            {
                break;
            }

            unflushed = 0;
            await tunnel.FlushAsync(ct).ConfigureAwait(false);
            if (!await reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                break;
            }
        }

        Volatile.Write(ref _callerClosed, true);
        await tunnel.SendAsync(new ConnectResponse { CloseSend = new CloseSend() }, buffered: false, ct).ConfigureAwait(false);
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
                    Volatile.Write(ref _headerReceived, true);
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
                case ConnectRequest.MsgOneofCase.Error when state == ReceiveState.ExpectHeader
                    && frame.Error.Status is { Code: (int)StatusCode.Unavailable, Message: TunnelSignals.RetiredMessage }:
                    throw new TunnelRetiredException();
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

/// <summary>The agent closed an idle tunnel just as it was claimed (see <see cref="TunnelSignals"/>).</summary>
internal sealed class TunnelRetiredException() : Exception(TunnelSignals.RetiredMessage);

/// <summary>The agent broke the tunnel's frame order.</summary>
internal sealed class ProtocolViolationException(string message) : Exception(message);
