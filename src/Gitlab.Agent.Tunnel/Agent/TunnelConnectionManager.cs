using Gitlab.Agent.Protocol.ReverseTunnel;
using Gitlab.Agent.Protocol.ReverseTunnel.Info;
using Gitlab.Agent.Tunnel.Internal;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Tunnel.Agent;

/// <summary>
/// Keeps agentk's pool of <c>ReverseTunnel/Connect</c> streams: at least <see cref="TunnelAgentOptions.MinIdleConnections"/>
/// idle, at most <see cref="TunnelAgentOptions.MaxConnections"/> in total, growing by up to
/// <see cref="TunnelAgentOptions.ScaleUpStep"/> when a stream becomes busy and the idle count drops below the minimum,
/// and closing streams idle for <see cref="TunnelAgentOptions.MaxIdleTime"/> above the minimum.
/// </summary>
internal sealed class TunnelConnectionManager
{
    private static readonly WriteOptions s_uncompressed = new(WriteFlags.NoCompress);
    private readonly ReverseTunnel.ReverseTunnelClient _client;
    private readonly IReadOnlyDictionary<string, IAgentTunnelHandler> _handlers;
    private readonly TunnelAgentOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly TunnelMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Uri? _kasAddress;
    private readonly object _lock = new();
    private readonly List<Task> _workers = [];
    private CancellationToken _stopping;
    private int _idle;
    private int _total;

    public TunnelConnectionManager(
        ReverseTunnel.ReverseTunnelClient client,
        IEnumerable<IAgentTunnelHandler> handlers,
        TunnelAgentOptions options,
        TimeProvider timeProvider,
        TunnelMetrics metrics,
        ILogger logger,
        Uri? kasAddress = null)
    {
        _client = client;
        _handlers = handlers.ToDictionary(h => h.ServiceName, StringComparer.Ordinal);
        _options = options;
        _timeProvider = timeProvider;
        _metrics = metrics;
        _logger = logger;
        _kasAddress = kasAddress;
        var descriptor = new AgentDescriptor();
        foreach (var handler in _handlers.Values)
        {
            var service = new Service { Name = handler.ServiceName };
            service.Methods.AddRange(handler.MethodNames.Select(m => new Method { Name = m }));
            descriptor.Services.Add(service);
        }

        Descriptor = new ConnectRequest { Descriptor_ = new AgentDescriptorFrame { AgentDescriptor = descriptor } };
    }

    internal ConnectRequest Descriptor { get; }

    /// <summary>Write options of every tunnel frame: uncompressed unless <see cref="TunnelAgentOptions.CompressFrames"/>.</summary>
    internal WriteOptions? FrameWriteOptions => _options.CompressFrames ? null : s_uncompressed;

    internal ReverseTunnel.ReverseTunnelClient Client => _client;

    internal TunnelAgentOptions Options => _options;

    internal TimeProvider TimeProvider => _timeProvider;

    internal TunnelMetrics Metrics => _metrics;

    internal ILogger Logger => _logger;

    internal Uri? KasAddress => _kasAddress;

    /// <summary>Streams not serving a request (connecting, backing off or waiting).</summary>
    public int IdleCount
    {
        get
        {
            lock (_lock)
            {
                return _idle;
            }
        }
    }

    /// <summary>All streams.</summary>
    public int TotalCount
    {
        get
        {
            lock (_lock)
            {
                return _total;
            }
        }
    }

    internal bool TryGetHandler(string service, out IAgentTunnelHandler handler) => _handlers.TryGetValue(service, out handler!);

    /// <summary>Runs the pool until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _stopping = cancellationToken;
        lock (_lock)
        {
            StartLocked(_options.MinIdleConnections);
        }

        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        Task[] workers;
        lock (_lock)
        {
            workers = [.. _workers];
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
    }

    /// <summary>A stream received a request.</summary>
    internal void OnBusy()
    {
        lock (_lock)
        {
            _idle--;
            if (_idle < _options.MinIdleConnections && _total < _options.MaxConnections && !_stopping.IsCancellationRequested)
            {
                var count = Math.Min(_options.ScaleUpStep, _options.MaxConnections - _total);
                TunnelLog.TunnelPoolGrown(_logger, count, _idle, _total);
                StartLocked(count);
            }
        }
    }

    /// <summary>A stream finished its request.</summary>
    internal void OnIdle()
    {
        lock (_lock)
        {
            _idle++;
        }
    }

    /// <summary>Whether an idle stream may close for good (there are more idle streams than the minimum).</summary>
    internal bool TryRetireIdle()
    {
        lock (_lock)
        {
            if (_idle <= _options.MinIdleConnections)
            {
                return false;
            }

            _idle--;
            _total--;
            TunnelLog.TunnelIdleRetired(_logger, _idle, _total);
            return true;
        }
    }

    private void StartLocked(int count)
    {
        _workers.RemoveAll(t => t.IsCompleted);
        for (var i = 0; i < count; i++)
        {
            _idle++;
            _total++;
            var connection = new TunnelConnection(this);
            _workers.Add(Task.Run(() => connection.RunAsync(_stopping)));
        }
    }
}
