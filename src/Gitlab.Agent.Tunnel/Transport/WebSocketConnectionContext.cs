using System.IO.Pipelines;
using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Gitlab.Agent.Tunnel.Transport;

/// <summary>One accepted WebSocket presented to Kestrel as a transport connection.</summary>
internal sealed class WebSocketConnectionContext : ConnectionContext, IConnectionLifetimeFeature, IConnectionEndPointFeature, IConnectionIdFeature, IConnectionItemsFeature, IConnectionTransportFeature
{
    private static long s_nextId;
    private readonly WebSocket _webSocket;
    private readonly Stream _stream;
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    public WebSocketConnectionContext(WebSocket webSocket, EndPoint localEndPoint, EndPoint? remoteEndPoint)
    {
        _webSocket = webSocket;
        _stream = new PeerClosedTolerantStream(WebSocketStream.Create(webSocket, WebSocketMessageType.Binary, ownsWebSocket: false));
        ConnectionId = "ws-" + Interlocked.Increment(ref s_nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        LocalEndPoint = localEndPoint;
        RemoteEndPoint = remoteEndPoint;
        Transport = new DuplexPipe(
            PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true)),
            PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true)));
        Features = new FeatureCollection();
        Features.Set<IConnectionLifetimeFeature>(this);
        Features.Set<IConnectionEndPointFeature>(this);
        Features.Set<IConnectionIdFeature>(this);
        Features.Set<IConnectionItemsFeature>(this);
        Features.Set<IConnectionTransportFeature>(this);
    }

    /// <summary>Completes when Kestrel disposed the connection.</summary>
    public Task Completion => _completion.Task;

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; }

    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    public override IDuplexPipe Transport { get; set; }

    public override CancellationToken ConnectionClosed
    {
        get => _closed.Token;
        set => throw new NotSupportedException();
    }

    public override EndPoint? LocalEndPoint { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        _webSocket.Abort();
        if (Volatile.Read(ref _disposed) == 0)
        {
            try
            {
                _closed.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await base.DisposeAsync().ConfigureAwait(false);
            return;
        }

        await Transport.Input.CompleteAsync().ConfigureAwait(false);
        await Transport.Output.CompleteAsync().ConfigureAwait(false);
        if (_webSocket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await _webSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
            {
            }
        }

        _webSocket.Abort();
        _webSocket.Dispose();
        await _stream.DisposeAsync().ConfigureAwait(false);
        await _closed.CancelAsync().ConfigureAwait(false);
        _closed.Dispose();
        _completion.TrySetResult();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
